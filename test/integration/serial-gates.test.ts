// Serial gates: jobs sharing a serialKey run one at a time and the gate opens for the MOST urgent waiting job,
// not the oldest; freezing a key stops new dispatch of its jobs while the holder runs on, unfreezing resumes in
// urgency order at once (push dispatch); both are audited with their reason, mirrored into
// settings.frozenSerialKeys, refused to viewers, and GET …/serial shows holder, queue and freeze per key — and as
// `next` the job dispatch takes next (due now: a more urgent job in retry backoff is not it; with none due,
// `nextDueAt` says when one becomes due). A key no URL path can name (`.`, `..`) is refused in a manifest.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { getSettings } from "../../src/durable-objects/coordinator/runtime/meta.ts";
import { ADMIN, api, claim, enroll, getJob, P, submit } from "./client.ts";
import { historyUntil } from "./history-wait.ts";
import { type AssignFrame, connectFactory } from "./sockets.ts";

interface Gate {
  key: string;
  holder: string | null;
  queue: string[];
  next: string | null;
  nextDueAt: number | null;
  queueLength: number;
  frozen: { by: string; reason: string; at: number } | null;
}

const gates = async (product: string, token = ADMIN, q = "") =>
  api<{ keys: Gate[]; nextCursor?: string }>("GET", `${P(product)}/serial${q}`, { token });
const freeze = (product: string, key: string, reason: string, token = ADMIN) =>
  api<Gate>("POST", `${P(product)}/serial/${encodeURIComponent(key)}/freeze`, { token, json: { reason } });
const unfreeze = (product: string, key: string, token = ADMIN) =>
  api<Gate>("POST", `${P(product)}/serial/${encodeURIComponent(key)}/unfreeze`, { token, json: { reason: "fixed" } });

async function frozenInSettings(product: string): Promise<readonly string[]> {
  return runInDurableObject(env.COORDINATOR.getByName(product), (_i, s) => getSettings(s.storage.sql).frozenSerialKeys);
}

/** Finish a held job over HTTP: building → testing (no review gate). */
async function finish(product: string, token: string, jobId: string, leaseEpoch: number) {
  await api("PATCH", `${P(product)}/jobs/${jobId}`, { token, json: { leaseEpoch, stage: "building" } });
  const r = await api("PATCH", `${P(product)}/jobs/${jobId}`, { token, json: { leaseEpoch, stage: "testing" } });
  expect(r.body).toMatchObject({ stage: "testing" });
}

describe("the serial gate", () => {
  it("opens for the most urgent waiting job, not the oldest", async () => {
    const product = "serial-urgency";
    const f = await enroll(product, "f", [], 4);
    const holder = await submit(product, { title: "h", serialKey: "repo/main" });
    const held = await claim(product, f.token);
    expect(held.body.job.id).toBe(holder.id);
    const old = await submit(product, { title: "old low", serialKey: "repo/main", priority: "low" });
    const urgent = await submit(product, { title: "new high", serialKey: "repo/main", priority: "high" });
    expect((await claim(product, f.token)).status).toBe(204); // the gate is held
    expect((await gates(product)).body.keys).toEqual([
      {
        key: "repo/main",
        holder: holder.id,
        stopping: null,
        queue: [urgent.id, old.id],
        next: urgent.id,
        nextDueAt: null,
        queueLength: 2,
        frozen: null,
      },
    ]);
    await finish(product, f.token, holder.id, held.body.lease.leaseEpoch);
    expect((await claim(product, f.token)).body.job.id).toBe(urgent.id);
    expect((await claim(product, f.token)).status).toBe(204);
  });
});

describe("the gate's next job is the one dispatch runs next", () => {
  it("is never a job waiting out its retry backoff, however urgent; with none due it says when one becomes due", async () => {
    const product = "serial-next-due";
    const settings = await api("PATCH", `${P(product)}/settings`, {
      token: ADMIN,
      json: { retry: { baseSeconds: 600, maxSeconds: 600, jitter: 0 } },
    });
    expect(settings.status).toBe(200);
    const f = await enroll(product, "f", [], 4);
    const high = await submit(product, { title: "high", serialKey: "repo/main", priority: "high", maxAttempts: 3 });
    const c = await claim(product, f.token);
    const failed = await api<{ stage: string; notBefore: number }>("PATCH", `${P(product)}/jobs/${high.id}`, {
      token: f.token,
      json: { leaseEpoch: c.body.lease.leaseEpoch, stage: "failed", result: { outcome: "failure", rc: 1 } },
    });
    expect(failed.body).toMatchObject({ stage: "queued" }); // retried, after its backoff
    const dueAt = failed.body.notBefore;
    expect(dueAt).toBeGreaterThan(Date.now());
    // Only the job in backoff: nothing is next, and the gate says when it becomes due.
    expect((await gates(product)).body.keys).toMatchObject([
      { key: "repo/main", holder: null, queue: [high.id], next: null, nextDueAt: dueAt },
    ]);
    const low = await submit(product, { title: "low", serialKey: "repo/main", priority: "low" });
    const [gate] = (await gates(product)).body.keys;
    expect(gate).toMatchObject({ next: low.id, nextDueAt: null, queue: [low.id, high.id], queueLength: 2 });
    // Dispatch's own choice is the gate's `next`: the due low job, not the more urgent one in backoff.
    expect((await claim(product, f.token)).body.job.id).toBe(gate!.next);
  });
});

describe("freeze and unfreeze", () => {
  it("freeze stops new dispatch of the key while the holder runs on; unfreeze resumes in urgency order", async () => {
    const product = "serial-freeze";
    const f = await enroll(product, "f", [], 4);
    const holder = await submit(product, { title: "h", serialKey: "deploy:prod" });
    const held = await claim(product, f.token);
    const frozen = await freeze(product, "deploy:prod", "prod deploys broken, INC-42");
    expect(frozen.status).toBe(200);
    expect(frozen.body).toMatchObject({
      key: "deploy:prod",
      holder: holder.id,
      frozen: { by: "admin", reason: "prod deploys broken, INC-42" },
    });
    expect(await frozenInSettings(product)).toEqual(["deploy:prod"]);

    const low = await submit(product, { title: "low", serialKey: "deploy:prod", priority: "low" });
    const high = await submit(product, { title: "high", serialKey: "deploy:prod", priority: "high" });
    const other = await submit(product, { title: "other key", serialKey: "deploy:staging" });
    // The holder is not stopped: it reports and finishes.
    await finish(product, f.token, holder.id, held.body.lease.leaseEpoch);
    // Over HTTP: only the other key's job can be claimed.
    expect((await claim(product, f.token)).body.job.id).toBe(other.id);
    expect((await claim(product, f.token)).status).toBe(204);

    // Push: a connected factory gets nothing of the frozen key…
    const g = await enroll(product, "g", [], 1);
    const { socket } = await connectFactory(product, g.token);
    socket.send({ type: "heartbeat", id: "sync" });
    await socket.next("ack");
    expect(socket.frames.filter((x) => x.type === "assign")).toHaveLength(0);
    expect((await gates(product)).body.keys.find((k) => k.key === "deploy:prod")).toMatchObject({
      holder: null,
      queue: [high.id, low.id],
      frozen: { reason: "prod deploys broken, INC-42" },
    });
    // …until the key is unfrozen: the most urgent waiting job is pushed at once.
    const thawed = await unfreeze(product, "deploy:prod");
    expect(thawed.body).toMatchObject({ key: "deploy:prod", frozen: null });
    expect((await socket.next<AssignFrame>("assign")).assignments.map((a) => a.job.id)).toEqual([high.id]);
    expect(await getJob(product, low.id)).toMatchObject({ stage: "queued" });
    expect(await frozenInSettings(product)).toEqual([]);

    // Both waited for: the last one's arrival says nothing of the others' (test/integration/history-wait).
    const audit = await historyUntil(
      product,
      "audit",
      (items) => items.filter((i) => i.action.startsWith("serial.")).length >= 2,
    );
    const actions = audit.body.items.filter((i) => i.action.startsWith("serial."));
    expect(actions).toEqual([
      expect.objectContaining({
        action: "serial.freeze",
        actor: "admin",
        detail: { reason: "prod deploys broken, INC-42" },
      }),
      expect.objectContaining({
        action: "serial.unfreeze",
        actor: "admin",
        detail: expect.objectContaining({ reason: "fixed" }),
      }),
    ]);
    socket.close();
  });

  it("URL-encoded keys work, a frozen key with no jobs is listed, and unfreezing twice changes nothing", async () => {
    const product = "serial-keys";
    for (const key of ["a/b c", "漢字?&#%"]) {
      expect((await freeze(product, key, "why")).body).toMatchObject({
        key,
        holder: null,
        queue: [],
        frozen: { reason: "why" },
      });
    }
    expect((await gates(product)).body.keys.map((k) => k.key)).toEqual(["a/b c", "漢字?&#%"]);
    expect(await frozenInSettings(product)).toEqual(["a/b c", "漢字?&#%"]);
    const page = await gates(product, ADMIN, "?limit=1");
    expect(page.body).toMatchObject({ keys: [{ key: "a/b c" }], nextCursor: "a/b c" });
    const next = await gates(product, ADMIN, `?limit=1&cursor=${encodeURIComponent(page.body.nextCursor!)}`);
    expect(next.body.keys.map((k) => k.key)).toEqual(["漢字?&#%"]);
    expect(next.body.nextCursor).toBeUndefined();
    expect((await unfreeze(product, "a/b c")).status).toBe(200);
    expect((await unfreeze(product, "a/b c")).body).toMatchObject({ frozen: null });
  });

  it("refuses viewers (403), bad keys and reasons (400), and changes nothing", async () => {
    const product = "serial-refusals";
    const viewer = await api<{ token: string }>("POST", `${P(product)}/tokens`, {
      token: ADMIN,
      json: { role: "viewer", name: "v" },
    });
    expect((await freeze(product, "k", "r", viewer.body.token)).status).toBe(403);
    expect((await unfreeze(product, "k", viewer.body.token)).status).toBe(403);
    expect((await gates(product, viewer.body.token)).status).toBe(200);
    const bad = [
      ["POST", `${P(product)}/serial/a%0Ab/freeze`, { reason: "r" }],
      ["POST", `${P(product)}/serial/${"x".repeat(801)}/freeze`, { reason: "r" }],
      ["POST", `${P(product)}/serial/${encodeURIComponent("漢".repeat(267))}/freeze`, { reason: "r" }], // 801 bytes
      ["POST", `${P(product)}/serial/%FF/freeze`, { reason: "r" }], // not UTF-8 once decoded
      ["POST", `${P(product)}/serial/%ED%A0%80/freeze`, { reason: "r" }], // a lone surrogate, encoded
      ["POST", `${P(product)}/serial/k/freeze`, { reason: "" }],
      ["POST", `${P(product)}/serial/k/freeze`, { reason: "漢".repeat(167) }],
      ["POST", `${P(product)}/serial/k/freeze`, { reason: "r", by: "me" }],
      ["GET", `${P(product)}/serial?limit=0`, undefined],
    ] as const;
    for (const [method, path, json] of bad) {
      const r = await api(method, path, { token: ADMIN, ...(json ? { json } : {}) });
      expect(r.status, `${method} ${path}`).toBe(400);
      expect(r.body).toMatchObject({ code: "validation_failed" });
    }
    expect((await gates(product)).body.keys).toEqual([]);
    expect(await frozenInSettings(product)).toEqual([]);
  });

  it("refuses a job's serialKey `.` or `..` (400, nothing made): no URL path names it, so its gate could not be frozen", async () => {
    const product = "serial-dot-keys";
    for (const serialKey of [".", ".."]) {
      // What a client sends to freeze it: the dot segment is resolved away before any route sees it.
      expect((await freeze(product, serialKey, "r")).body).toMatchObject({ code: "not_found" });
      const r = await api("POST", `${P(product)}/jobs`, {
        token: ADMIN,
        json: { manifest: { title: "t", serialKey } },
      });
      expect(r.status, serialKey).toBe(400);
      expect(r.body).toMatchObject({ code: "invalid_manifest" });
    }
    expect((await submit(product, { title: "dots inside", serialKey: "..." })).serialKey).toBe("...");
    expect((await gates(product)).body.keys.map((k) => k.key)).toEqual(["..."]);
  });
});
