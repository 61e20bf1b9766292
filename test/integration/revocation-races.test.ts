// An operator token that dies while a request it authenticated is on its way gets nothing more. The Worker
// authenticates a request a moment before the coordinator's unit runs it; a revocation can commit in between, and the
// race is played here by running the revocation inside the coordinator method the request reaches, just before the
// method's unit. An operator token revoked then cannot enroll a factory or rotate a factory's token (401, nothing
// kept): both handed out a long-lived factory token the revocation never saw, as minting an enrollment code did.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { ProductCoordinator } from "../../src/durable-objects/product-coordinator.ts";
import { ADMIN, api, enroll, mintToken, P } from "./client";

type Method = "enroll" | "rotateFactoryToken";
type Factory = { id: string; status: string; lastHeartbeatAt?: number; capabilities: string[] };

/**
 * Runs `call` (an HTTP request) while the coordinator's `method` first runs `revoke` (a unit of its own, committed
 * before the method's): what a revocation landing between the Worker's authentication and the write looks like.
 */
async function revokedOnTheWay<T>(
  product: string,
  method: Method,
  revoke: (c: ProductCoordinator) => Promise<unknown>,
  call: () => Promise<T>,
): Promise<T> {
  const stub = env.COORDINATOR.getByName(product);
  const restore = await runInDurableObject(stub, (c: ProductCoordinator) => {
    let proto = Object.getPrototypeOf(c) as Record<Method, (...args: unknown[]) => Promise<unknown>>;
    while (!Object.hasOwn(proto, method)) proto = Object.getPrototypeOf(proto);
    const original = proto[method];
    proto[method] = async function (this: ProductCoordinator, ...args: unknown[]) {
      await revoke(this);
      return original.apply(this, args);
    };
    return () => {
      proto[method] = original;
    };
  });
  try {
    return await call();
  } finally {
    restore();
  }
}

const problem = { type: expect.any(String), title: expect.any(String), detail: expect.any(String) };

describe("an operator token revoked while its request is on its way", () => {
  it("enrolls no factory: 401, no factory kept, no token that works", async () => {
    const product = "race-enroll";
    const op = await mintToken(product, "operator", "leaked");
    const r = await revokedOnTheWay(
      product,
      "enroll",
      (c) => c.revokeToken(product, op.id, "admin"),
      () => api("POST", `${P(product)}/factories/enroll`, { token: op.token, json: { name: "h", seats: 1 } }),
    );
    expect(r.status).toBe(401);
    expect(r.body).toMatchObject({ ...problem, code: "unauthorized" });
    const listed = await api<{ factories: Factory[] }>("GET", `${P(product)}/factories`, { token: ADMIN });
    expect(listed.body.factories).toEqual([]);
    // The admin (no token to revoke) still enrolls as before.
    expect((await enroll(product, "h")).factoryId).toMatch(/^fac_/);
  });

  it("rotates no factory token: 401, and the factory keeps its old token", async () => {
    const product = "race-rotate";
    const f = await enroll(product, "f");
    const op = await mintToken(product, "operator", "leaked");
    const r = await revokedOnTheWay(
      product,
      "rotateFactoryToken",
      (c) => c.revokeToken(product, op.id, "admin"),
      () => api("POST", `${P(product)}/factories/${f.factoryId}/token/rotate`, { token: op.token }),
    );
    expect(r.status).toBe(401);
    expect(r.body).toMatchObject({ ...problem, code: "unauthorized" });
    expect(r.body).not.toHaveProperty("token");
    const beat = await api("POST", `${P(product)}/factories/heartbeat`, { token: f.token, json: {} });
    expect(beat.status).toBe(200);
    // A live operator token still rotates.
    const live = await mintToken(product, "operator", "live");
    const ok = await api("POST", `${P(product)}/factories/${f.factoryId}/token/rotate`, { token: live.token });
    expect(ok.status).toBe(200);
  });
});
