// Every write route of a product checks its caller's credential where the write commits (workerd: real DO storage,
// D1, R2, Queues): for each POST, PUT, PATCH and DELETE the Worker's router lists, a request whose operator token is
// revoked (or factory token rotated away) while its body is still coming is refused 401 `unauthorized`, and the
// product reads the same after it as before — nothing written. The route list is read from the router itself, so a
// new write route fails here until it has a case (write-route-cases): one that passed "admin", or nothing, for the
// caller of its coordinator write (runtime/units `runAs`) would commit under the retired credential. The caller is
// also a required parameter of every coordinator write (tsc refuses a route that leaves it out).

import { createExecutionContext, env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { buildApp } from "../../src/worker/app.ts";
import worker from "../../src/worker/index.ts";
import { ADMIN, api, enroll, mintToken, P, submit } from "./client";
import { heldJson } from "./held-body";
import { CASES, EXEMPT, type World } from "./write-route-cases";

const PREFIX = "/api/v1/products/:productId";
const WRITES = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/** `METHOD /path` of every write route under a product, as the Worker's router lists them. */
function writeRoutes(): string[] {
  const keys = buildApp()
    .routes.filter((r) => WRITES.has(r.method) && r.path.startsWith(`${PREFIX}/`))
    .map((r) => `${r.method} ${r.path.slice(PREFIX.length)}`);
  return [...new Set(keys)].sort();
}

/**
 * What the admin reads of the product: every list a write here could change. Read twice — once the credential is
 * retired, once its request was answered — the two must be the same.
 */
async function snapshot(w: World): Promise<Array<[string, number, unknown]>> {
  const paths = [
    "/jobs",
    `/jobs/${w.job}`,
    `/jobs/${w.job}/artifacts`,
    `/jobs/${w.job}/reviews`,
    "/factories",
    "/tokens",
    "/factories/enrollment-codes",
    "/settings",
    "/budget",
    "/lessons",
    "/routing/rules",
    "/routing/experiments",
    "/alerts",
    "/webhook",
    "/serial",
  ];
  const reads = await Promise.all(paths.map((p) => api("GET", `${P(w.product)}${p}`, { token: ADMIN })));
  return reads.map((r, i) => [paths[i]!, r.status, r.body]);
}

/** A fresh product with an operator token, a queued job and an enrolled factory. */
async function world(n: number): Promise<World> {
  const product = `wr-${n}`;
  const op = await mintToken(product, "operator", "leaving");
  const job = await submit(product, { title: "kept" });
  const factory = await enroll(product, "host-a");
  return { product, op, job: job.id, factory };
}

/** Retires the credential `as` names: the operator token revoked, or the factory's token rotated away. */
async function retire(w: World, as: "operator" | "factory"): Promise<void> {
  const path = as === "operator" ? `/tokens/${w.op.id}` : `/factories/${w.factory.factoryId}/token/rotate`;
  const r = await api(as === "operator" ? "DELETE" : "POST", `${P(w.product)}${path}`, { token: ADMIN });
  expect(r.status).toBe(200);
}

describe("the write routes of a product", () => {
  it("each have a case here, or a reason they retire no credential", () => {
    expect(writeRoutes()).toEqual([...Object.keys(CASES), ...Object.keys(EXEMPT)].sort());
  });
});

describe("a write whose credential is retired while its body is still coming", () => {
  const names = Object.keys(CASES).sort();
  names.forEach((route, n) => {
    const c = CASES[route]!;
    it(`${route} (${c.as}) is refused 401 and writes nothing`, async () => {
      const w = await world(n);
      const asked = await c.request(w);
      const [method] = route.split(" ");
      const text = asked.text ?? JSON.stringify(asked.json ?? {});
      const held = heldJson(text, 1);
      const token = c.as === "operator" ? w.op.token : w.factory.token;
      const request = new Request(`http://gf.test${P(w.product)}${asked.path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          "content-type": asked.text === undefined ? "application/json" : "text/plain",
          "content-length": String(held.length),
        },
        body: held.stream,
      });
      const pending = Promise.resolve(
        worker.fetch(request as Parameters<typeof worker.fetch>[0], env, createExecutionContext()),
      ).then(async (res) => ({ status: res.status, body: (await res.json()) as Record<string, unknown> }));
      await held.holding; // authenticated: the route is reading its body
      await retire(w, c.as);
      const before = await snapshot(w);
      held.go();
      const late = await pending;
      expect({ status: late.status, code: late.body.code }).toEqual({ status: 401, code: "unauthorized" });
      expect(await snapshot(w)).toEqual(before);
    });
  });
});
