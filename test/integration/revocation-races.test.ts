// An operator token that dies while a request it authenticated is on its way gets nothing more. The Worker
// authenticates a request a moment before the coordinator's unit runs it; a revocation can commit in between, and the
// race is played here by running the revocation inside the coordinator method the request reaches, just before the
// method's unit. An operator token revoked then cannot enroll a factory or rotate a factory's token (401, nothing
// kept): both handed out a long-lived factory token the revocation never saw, as minting an enrollment code did.
// A factory's sockets are closed in the very unit that rotates or revokes its token, not once the outbox has shipped:
// a frame on them meanwhile was applied as the factory's (an ack), a dispatch pass still saw them as work-ready, and
// the unit now ends their connection generation too, so such a frame is refused at commit as well. A factory revoked
// while its HTTP heartbeat is on its way is refused (401) and its revoked record left as it was (no new beat time, no
// re-declared capabilities or seats). Nor can such a token set the product's webhook (URL and secret).
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { assertCurrentConnection } from "../../src/durable-objects/coordinator/factories/socket-guards.ts";
import type { SocketAttachment } from "../../src/durable-objects/coordinator/factories/sockets.ts";
import type { ProductCoordinator } from "../../src/durable-objects/product-coordinator.ts";
import { ADMIN, api, enroll, getJob, mintToken, P, submit } from "./client";
import { type AssignFrame, connectFactory } from "./sockets";

type Coordinator = ProductCoordinator & { link: { workReadyIds(): Set<string> } };
type Method = "enroll" | "rotateFactoryToken" | "heartbeat" | "setWebhook";
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
      (c) => c.revokeToken(product, op.id, "admin", "admin"),
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
      (c) => c.revokeToken(product, op.id, "admin", "admin"),
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

  it("sets no webhook: 401, and the product keeps the one it had", async () => {
    const product = "race-webhook";
    const before = { url: "https://hooks.example/before", secret: "s".repeat(32) };
    expect((await api("PUT", `${P(product)}/webhook`, { token: ADMIN, json: before })).status).toBe(200);
    const op = await mintToken(product, "operator", "leaked");
    const r = await revokedOnTheWay(
      product,
      "setWebhook",
      (c) => c.revokeToken(product, op.id, "admin", "admin"),
      () =>
        api("PUT", `${P(product)}/webhook`, {
          token: op.token,
          json: { url: "https://attacker.example/hook", secret: "x".repeat(32) },
        }),
    );
    expect(r.status).toBe(401);
    expect(r.body).toMatchObject({ ...problem, code: "unauthorized" });
    const kept = await api<{ url: string }>("GET", `${P(product)}/webhook`, { token: ADMIN });
    expect(kept.body.url).toBe(before.url);
  });
});

describe("a factory whose token is rotated or revoked", () => {
  type Close = (c: ProductCoordinator, product: string, id: string) => Promise<unknown>;
  // Rotated, the factory keeps its leases: a report on the old token's socket would move its job. Revoked, the jobs
  // are requeued (a report is fenced anyway): a beat would date the revoked record.
  const cases: Array<[string, Close, (job: { id: string; leaseEpoch: number }) => object]> = [
    [
      "rotated",
      (c, product, id) => c.rotateFactoryToken(product, id, "ab".repeat(32), "admin", undefined, "admin"),
      (job) => ({ type: "progress", id: "f", jobId: job.id, leaseEpoch: job.leaseEpoch, pct: 50, note: "dead token" }),
    ],
    [
      "revoked",
      (c, product, id) => c.revokeFactoryToken(product, id, "admin", "admin"),
      () => ({ type: "heartbeat", id: "f" }),
    ],
  ];
  for (const [how, close, frameFor] of cases) {
    it(`(${how}) has its socket closed at the commit: a frame sent meanwhile is refused, no pass sees it`, async () => {
      const product = `race-socket-${how}`;
      const f = await enroll(product, "f");
      const { socket } = await connectFactory(product, f.token);
      const job = await submit(product, { title: "held" });
      const leaseEpoch = (await socket.next<AssignFrame>("assign")).assignments[0]!.leaseEpoch;
      const seen = await runInDurableObject(env.COORDINATOR.getByName(product), async (pc: ProductCoordinator, st) => {
        const c = pc as Coordinator;
        const ws = st.getWebSockets(f.factoryId)[0]!;
        const att = ws.deserializeAttachment() as SocketAttachment;
        const answers: string[] = [];
        const send = ws.send.bind(ws);
        ws.send = (m: string | ArrayBuffer | ArrayBufferView) => {
          const frame = JSON.parse(String(m)) as { type: string; id?: string };
          if (frame.id === "f") answers.push(frame.type);
          try {
            send(m);
          } catch {
            /* closed */
          }
        };
        const doc = () => st.storage.sql.exec<{ doc: string }>("SELECT doc FROM factories").one().doc;
        const closing = close(c, product, f.factoryId); // committed, not yet returned: the outbox is shipping
        const ready = c.link.workReadyIds().has(f.factoryId);
        const before = doc();
        await c.webSocketMessage(ws, JSON.stringify(frameFor({ id: job.id, leaseEpoch })));
        const recordKept = doc() === before;
        await closing;
        // Had the socket's mark failed, its frame would still be refused in its unit: its generation has ended.
        let fenced = false;
        try {
          st.storage.transactionSync(() => assertCurrentConnection(st.storage.sql, att));
        } catch {
          fenced = true;
        }
        return { ready, answers, recordKept, fenced };
      });
      expect(seen).toEqual({ ready: false, answers: ["error"], recordKept: true, fenced: true });
      expect((await getJob(product, job.id)).progress).not.toMatchObject({ pct: 50 });
    });
  }
});

describe("a factory revoked while its HTTP heartbeat is on its way", () => {
  it("is refused 401, and its record is left as the revocation wrote it", async () => {
    const product = "race-heartbeat";
    const f = await enroll(product, "f", ["linux"]);
    let revoked: Factory | undefined;
    const r = await revokedOnTheWay(
      product,
      "heartbeat",
      async (c) => {
        await c.revokeFactoryToken(product, f.factoryId, "admin", "admin");
        const read = await c.getFactory(product, f.factoryId);
        if (read.ok) revoked = JSON.parse(JSON.stringify(read.value)) as Factory;
      },
      () =>
        api("POST", `${P(product)}/factories/heartbeat`, {
          token: f.token,
          json: { capabilities: ["linux", "gpu"], seats: 4 },
        }),
    );
    expect(r.status).toBe(401);
    expect(r.body).toMatchObject({ ...problem, code: "unauthorized" });
    expect(revoked?.status).toBe("revoked");
    const after = (await api<Factory>("GET", `${P(product)}/factories/${f.factoryId}`, { token: ADMIN })).body;
    expect(after).toEqual(revoked);
  });
});
