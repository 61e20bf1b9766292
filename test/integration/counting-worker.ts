/**
 * @module test/integration/counting-worker
 * The Worker's fetch handler with an environment whose coordinator stubs record the name of every call made through
 * them: exactly the Worker's calls to a product's coordinator (worker/auth `coordinatorFor`), for tests that prove
 * what a request costs the coordinator.
 */
import { createExecutionContext, env } from "cloudflare:test";
import app from "../../src/worker/index.ts";

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
