// The factory protocol's shapes for fewer frames per job (issue 12 item 2), pinned: `accept` may carry
// `stage: "building"`, a `batch` carries 1–64 lease frames without ids, and anything else is refused at the boundary.
// A refused frame's id is echoed whole when it is a valid id (up to 256 bytes), so its sender can match the refusal.
// A frame's id, a batch's id, hello's agentVersion and a checkpoint's branch refuse control characters (C0, DEL, C1)
// as every other id, key and name a request carries does.
import { describe, expect, it } from "vitest";
import { FEATURES, MAX_BATCH_FRAMES, parseFactoryFrame } from "../../src/shared/protocol.ts";

const lease = { jobId: "job_x", leaseEpoch: 3 };
const parse = (frame: unknown) => parseFactoryFrame(JSON.stringify(frame));

describe("accept", () => {
  it("takes an optional stage, and only `building`", () => {
    expect(parse({ type: "accept", id: "a", ...lease })).toMatchObject({ ok: true });
    expect(parse({ type: "accept", id: "a", ...lease, stage: "building" })).toEqual({
      ok: true,
      frame: { type: "accept", id: "a", ...lease, stage: "building" },
    });
    expect(parse({ type: "accept", id: "a", ...lease, stage: "testing" })).toMatchObject({
      ok: false,
      code: "validation_failed",
      message: expect.stringMatching(/^stage: /),
      id: "a",
    });
  });
});

describe("batch", () => {
  const complete = { type: "complete", ...lease, result: { outcome: "success", rc: 0 } };

  it("carries every lease frame, in order, without ids", () => {
    const frames = [
      { type: "accept", ...lease, stage: "building" },
      { type: "reject", ...lease, reason: "no disk" },
      { type: "release", ...lease },
      { type: "renew", ...lease, ttlSeconds: 30 },
      { type: "progress", ...lease, pct: 5, logs: [{ stream: "stdout", text: "hi", at: 1 }] },
      complete,
      { type: "fail", ...lease, result: { outcome: "failure" } },
    ];
    const r = parse({ type: "batch", id: "b", frames });
    expect(r).toEqual({ ok: true, frame: { type: "batch", id: "b", frames } });
  });

  it("is refused whole, with the failing frame's path, when any frame is invalid", () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ type: "batch", frames: [complete] }, /^id: /],
      [{ type: "batch", id: "b", frames: [] }, /^frames: /],
      [{ type: "batch", id: "b", frames: Array(MAX_BATCH_FRAMES + 1).fill(complete) }, /^frames: /],
      [{ type: "batch", id: "b", frames: [complete, { ...complete, id: "x" }] }, /^frames\.1: /],
      [{ type: "batch", id: "b", frames: [complete, { ...complete, leaseEpoch: -1 }] }, /^frames\.1\.leaseEpoch: /],
      [{ type: "batch", id: "b", frames: [{ type: "heartbeat" }] }, /^frames\.0\.type: /],
      [{ type: "batch", id: "b", frames: [{ type: "hello" }] }, /^frames\.0\.type: /],
      [{ type: "batch", id: "b", frames: [{ type: "batch", id: "c", frames: [complete] }] }, /^frames\.0\.type: /],
    ];
    for (const [frame, message] of cases) {
      expect(parse(frame)).toMatchObject({
        ok: false,
        code: "validation_failed",
        message: expect.stringMatching(message),
      });
    }
  });

  it("takes up to MAX_BATCH_FRAMES frames", () => {
    expect(parse({ type: "batch", id: "b", frames: Array(MAX_BATCH_FRAMES).fill(complete) }).ok).toBe(true);
  });
});

describe("features", () => {
  it("names what welcome announces", () => {
    expect(Object.values(FEATURES)).toEqual(["accept-building", "batch", "stopped", "base-tokens"]);
  });
});

describe("a refused frame's id", () => {
  it("is echoed whole up to the id's own bound, 256 bytes of UTF-8, and cut there beyond it", () => {
    const bad = { type: "heartbeat", unknown: 1 };
    for (const id of ["h1", "r".repeat(100), "漢".repeat(85), `${"x".repeat(252)}🙂`]) {
      expect(parse({ ...bad, id }), id.slice(0, 8)).toMatchObject({ ok: false, code: "validation_failed", id });
    }
    // Past the bound: cut at 256 bytes, never inside a character.
    expect(parse({ ...bad, id: "y".repeat(300) })).toMatchObject({ ok: false, id: "y".repeat(256) });
    expect(parse({ ...bad, id: `${"y".repeat(254)}🙂` })).toMatchObject({ ok: false, id: "y".repeat(254) });
  });
});

describe("ids and names in frames", () => {
  const withControls = ["a\tb", "a\u0000", "a\u007f", "a\u009b[2J", "a\u001b]52;c;x\u0007"];
  it("refuse control characters (C0, DEL, C1) as every other id, key and name does", () => {
    const hello = { type: "hello", v: 1, capabilities: [], seats: 1, agentVersion: "gigafactory-agent/1.0.0" };
    const progress = { type: "progress", ...lease, checkpoint: { branch: "gf/job_x-3", sha: "abcdef1" } };
    const batch = { type: "batch", id: "b1", frames: [{ type: "renew", ...lease }] };
    for (const ok of [{ type: "heartbeat", id: "h-1 é 漢" }, hello, progress, batch])
      expect(parse(ok).ok, JSON.stringify(ok)).toBe(true);
    for (const bad of withControls) {
      const frames = [
        { type: "heartbeat", id: bad },
        { type: "renew", ...lease, id: bad },
        { ...batch, id: bad },
        { ...hello, agentVersion: bad },
        { ...progress, checkpoint: { ...progress.checkpoint, branch: bad } },
      ];
      for (const frame of frames) {
        const got = parse(frame);
        expect(got, JSON.stringify(frame)).toMatchObject({ ok: false, code: "validation_failed" });
        expect(got.ok ? "" : got.message, JSON.stringify(frame)).toContain("no control characters");
      }
    }
  });
});
