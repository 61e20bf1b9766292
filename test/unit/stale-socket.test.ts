// Which factory sockets the reaper's sweep closes: a silent greeted factory, a socket that never said hello
// within three heartbeat intervals, a deregistered factory's — never one that is still connecting.
import { describe, expect, it } from "vitest";
import { HEARTBEAT } from "../../src/core/lease.ts";
import { type SocketAttachment, staleSocketReason } from "../../src/durable-objects/coordinator/factories/sockets.ts";

const grace = HEARTBEAT.intervalMs * HEARTBEAT.missedBeforeDown;
const att = (helloed: boolean, connectedAt: number): SocketAttachment => ({
  factoryId: "fac_1",
  helloed,
  draining: false,
  leaseTtlSeconds: 60,
  connectedAt,
});

describe("staleSocketReason", () => {
  const now = 10_000_000;
  it("keeps a socket whose hello is not in yet, though its factory never beat", () => {
    expect(staleSocketReason(att(false, now - 1), "down", now)).toBeUndefined();
    expect(staleSocketReason(att(false, now - grace + 1), "down", now)).toBeUndefined();
  });
  it("closes one that has said nothing for three heartbeat intervals", () => {
    expect(staleSocketReason(att(false, now - grace), "down", now)).toBe("no hello");
  });
  it("closes a greeted socket once its factory is down, and keeps it while it beats", () => {
    expect(staleSocketReason(att(true, now - 10 * grace), "down", now)).toBe("no heartbeat");
    expect(staleSocketReason(att(true, now - 10 * grace), "degraded", now)).toBeUndefined();
    expect(staleSocketReason(att(true, now - 10 * grace), "ok", now)).toBeUndefined();
  });
  it("closes any socket of a factory that no longer exists", () => {
    expect(staleSocketReason(att(false, now), undefined, now)).toBe("factory deregistered");
  });
});
