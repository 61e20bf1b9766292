// A seat's lease (agent/seat-lease) lapses on the coordinator's silence, not the agent's: with the agent's event loop
// held past the lapse (its TTL and grace since the last answer) while a renewal's `ack` was already in its socket,
// the lapse timer fired in the timers phase, before the poll phase read that ack — a lease the coordinator had just
// renewed was taken for expired, and the seat stopped a healthy engine and threw away its paid work. The lapse now
// decides after a poll. The order is forced over a real socket: the coordinator runs in a worker thread
// (test/unit/agent-held-loop) and the test holds the loop until the ack is written and the lapse is past. A lease no
// renewal is answered for still lapses.
import { afterEach, describe, expect, it } from "vitest";
import { FactoryConnection, type OutFrame } from "../../src/agent/connection.ts";
import { SeatLease } from "../../src/agent/seat-lease.ts";
import { COUNT, coordinatorInWorker, HELLO, type HeldLoopCoordinator, holdUntil } from "./agent-held-loop.ts";

/** The lease's TTL (s) at grant, and the grace (ms) after it: the lapse is due 1.2 s after the grant. */
const GRANTED_TTL_S = 1;
const GRACE_MS = 200;

let coordinator: HeldLoopCoordinator | undefined;
let conn: FactoryConnection | undefined;
let lease: SeatLease | undefined;
afterEach(async () => {
  lease?.stopRenewals();
  conn?.close();
  await coordinator?.close();
  lease = undefined;
  conn = undefined;
  coordinator = undefined;
});

/** A welcomed connection to `co`, each request it sends kept (its answer's promise) in `requests`. */
async function welcomed(co: HeldLoopCoordinator) {
  const c = new FactoryConnection({
    url: co.url,
    product: "p",
    token: "t",
    hello: () => HELLO,
    handlers: { onWelcome() {}, onFrame() {}, onDisconnected() {}, onFatal() {} },
  });
  const requests: Promise<unknown>[] = [];
  const request = c.request.bind(c);
  c.request = (frame: OutFrame, timeoutMs?: number) => {
    const answer = request(frame, timeoutMs);
    requests.push(answer);
    return answer;
  };
  c.start();
  await c.whenReady();
  return { c, requests };
}

/** A lease granted now for GRANTED_TTL_S, renewing; each `lapsed` reason goes to `lapsed`, `lost` throws. */
function leaseOn(c: FactoryConnection, lapsed: (why: string) => void): SeatLease {
  const l = new SeatLease({
    conn: c,
    jobId: "job_held",
    leaseEpoch: 1,
    wantedTtl: undefined,
    grantedTtl: GRANTED_TTL_S,
    lost: (why) => {
      throw new Error(`lease lost: ${why}`);
    },
    lapsed,
    graceMs: () => GRACE_MS,
    gaveUp: () => false,
    note: () => undefined,
  });
  l.startRenewals(GRANTED_TTL_S, false, undefined);
  return l;
}

describe("a seat's lease, with the agent's loop held", () => {
  it("does not lapse when a renewal's ack was written before the lapse was due", async () => {
    coordinator = await coordinatorInWorker({ renewTtlSeconds: 60 });
    const co = coordinator;
    const { c, requests } = await welcomed(co);
    conn = c;
    const lapses: string[] = [];
    const since = Date.now();
    lease = leaseOn(c, (why) => void lapses.push(why));
    lease.renewNow();
    const lapseDue = GRANTED_TTL_S * 1000 + GRACE_MS;
    expect(holdUntil(() => co.count(COUNT.acks) === 1 && Date.now() - since >= 2 * lapseDue)).toBe(true);
    await requests[0];
    // A second renewal, answered: the turn in which the lapse's timer fired is over by then.
    lease.renewNow();
    await requests[1];
    expect(lapses).toEqual([]);
    expect(lease.renewing).toBe(true);
  });
});

describe("a seat's lease against a coordinator that answers no renewal", () => {
  it("lapses once its TTL and grace are past", async () => {
    coordinator = await coordinatorInWorker({ answer: false });
    const { c } = await welcomed(coordinator);
    conn = c;
    let l: SeatLease | undefined;
    const lapsed = new Promise<string>((resolve) => {
      l = leaseOn(c, resolve);
    });
    lease = l;
    lease?.renewNow();
    expect(await lapsed).toMatch(/no renewal acknowledged for \d+s: the lease \(TTL 1s\) has expired/);
    expect(coordinator.count(COUNT.requests)).toBeGreaterThanOrEqual(1);
  });
});
