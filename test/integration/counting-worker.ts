/**
 * @module test/integration/counting-worker
 * The Worker's fetch handler with an environment whose coordinator stubs record the name of every call made through
 * them: exactly the Worker's calls to a product's coordinator (worker/auth `coordinatorFor`), for tests that prove
 * what a request costs the coordinator — and the feed tickets those tests open streams with.
 */
import { createExecutionContext, env, runInDurableObject } from "cloudflare:test";
import { expect } from "vitest";
import app from "../../src/worker/index.ts";
import { api, P } from "./client";

/** A fetch through the Worker that pushes the name of each coordinator call it makes onto `calls`. */
export function countingWorker(calls: string[]) {
  const stubs = {
    getByName(name: string) {
      const stub = env.COORDINATOR.getByName(name);
      return new Proxy(stub, {
        get(target, prop) {
          const value = Reflect.get(target, prop);
          if (typeof prop !== "string" || prop === "then" || typeof value !== "function") return value;
          return (...args: unknown[]) => {
            calls.push(prop);
            return Reflect.apply(value as (...a: unknown[]) => unknown, target, args);
          };
        },
      });
    },
  };
  const counted = new Proxy(env, { get: (t, p) => (p === "COORDINATOR" ? stubs : Reflect.get(t, p)) });
  return (url: string, init?: RequestInit) =>
    app.fetch(new Request(url, init) as Parameters<typeof app.fetch>[0], counted, createExecutionContext());
}

/** A feed ticket for `jobId`, minted with `token` (201 asserted), URL-encoded for a `?ticket=` query. */
export async function ticketFor(product: string, jobId: string, token: string): Promise<string> {
  const t = await api<{ ticket: string }>("POST", `${P(product)}/jobs/${jobId}/events/ticket`, { token });
  expect(t.status).toBe(201);
  return encodeURIComponent(t.body.ticket);
}

/** How many feed tickets `product`'s coordinator has recorded as spent. */
export const spentTickets = (product: string) =>
  runInDurableObject(
    env.COORDINATOR.getByName(product),
    (_i, state) => state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM spent_tickets").one().n,
  );
