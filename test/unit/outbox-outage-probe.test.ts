// The outage probe's rules (outbox/outage-probe), flush by flush: outside a backoff every reader's flush runs; in one,
// each gate — the outage round's refusing feeds share one, any other feed has its own — has one probe a window and its
// readers meanwhile wait for its answer (one told not to wait, an artifact commit's, sends nothing while it runs), a
// refused probe leaves the rest of its gate's window without sends, a probe that found nothing to ship or threw
// leaves the window to the next reader's probe, a taken one lets the readers behind it flush, a probe unanswered past
// its bound counts as refused, and a new window (another backoff's end) has probes of its own.
// Flushes are stand-ins that settle when the test says; the backoff's end is a value the test sets.
import { describe, expect, it } from "vitest";
import type { FlushResult } from "../../src/durable-objects/coordinator/outbox/feed-flush.ts";
import { OutageProbe } from "../../src/durable-objects/coordinator/outbox/outage-probe.ts";

const REFUSED: FlushResult = { whole: false, took: false, unblocked: false };
const TOOK: FlushResult = { whole: true, took: true, unblocked: false };
const NOTHING: FlushResult = { whole: true, took: false, unblocked: false };

/** A flush the test settles, counting its runs. */
function flushes() {
  const pending: Array<(r: FlushResult | Error) => void> = [];
  let runs = 0;
  const flush = () => {
    runs++;
    return new Promise<FlushResult>((resolve, reject) =>
      pending.push((r) => (r instanceof Error ? reject(r) : resolve(r))),
    );
  };
  return { flush, runs: () => runs, settle: (r: FlushResult | Error) => pending.shift()?.(r) };
}

/** Lets every settled promise's callbacks run (no time passes: only queued microtasks and one macrotask turn). */
const drained = () => new Promise<void>((r) => setImmediate(r));

describe("OutageProbe", () => {
  it("outside a backoff, runs every flush", async () => {
    const probe = new OutageProbe();
    const f = flushes();
    const out = [probe.run("a", () => 0, f.flush), probe.run("a", () => 0, f.flush)];
    expect(f.runs()).toBe(2);
    f.settle(REFUSED);
    f.settle(REFUSED);
    expect(await Promise.all(out)).toEqual([REFUSED, REFUSED]);
  });

  it("in a backoff: one probe; readers meanwhile wait for it, and send nothing once it is refused", async () => {
    const probe = new OutageProbe();
    let until = Date.now() + 60_000;
    const f = flushes();
    const first = probe.run("a", () => until, f.flush);
    const waiting = [probe.run("a", () => until, f.flush), probe.run("a", () => until, f.flush)];
    await drained();
    expect(f.runs()).toBe(1);
    f.settle(REFUSED);
    expect(await first).toEqual(REFUSED);
    expect(await Promise.all(waiting)).toEqual([undefined, undefined]);
    expect(await probe.run("a", () => until, f.flush)).toBeUndefined();
    expect(f.runs()).toBe(1);
    until += 1; // the next window (another outage round's backoff): a probe of its own
    const next = probe.run("a", () => until, f.flush);
    expect(f.runs()).toBe(2);
    f.settle(REFUSED);
    expect(await next).toEqual(REFUSED);
  });

  it("a flush told not to wait (an artifact commit's, in its exclusive section) sends nothing while a probe runs", async () => {
    const probe = new OutageProbe();
    const until = Date.now() + 60_000;
    const f = flushes();
    const first = probe.run("a", () => until, f.flush);
    expect(await probe.run("a", () => until, f.flush, false)).toBeUndefined();
    expect(f.runs()).toBe(1);
    f.settle(NOTHING);
    await first;
    const own = probe.run("a", () => until, f.flush, false); // none running: it is the window's probe itself
    expect(f.runs()).toBe(2);
    f.settle(REFUSED);
    expect(await own).toEqual(REFUSED);
  });

  it("a probe its feed takes: the readers behind it flush their own, once the backoff it ended is over", async () => {
    const probe = new OutageProbe();
    let until = Date.now() + 60_000;
    const f = flushes();
    const first = probe.run("a", () => until, f.flush);
    const behind = probe.run("a", () => until, f.flush);
    f.settle(TOOK);
    until = 0; // what the shipper does when a flush took events during a backoff
    expect(await first).toEqual(TOOK);
    await drained();
    expect(f.runs()).toBe(2);
    f.settle(TOOK);
    expect(await behind).toEqual(TOOK);
  });

  it("a probe that found nothing to ship, or threw, leaves the window to the next reader's probe", async () => {
    const probe = new OutageProbe();
    const until = Date.now() + 60_000;
    const f = flushes();
    const empty = probe.run("a", () => until, f.flush);
    const next = probe.run("a", () => until, f.flush);
    f.settle(NOTHING);
    expect(await empty).toEqual(NOTHING);
    await drained();
    expect(f.runs()).toBe(2); // the waiter probes in its turn
    f.settle(new Error("storage error"));
    await expect(next).rejects.toThrow("storage error");
    const last = probe.run("a", () => until, f.flush);
    expect(f.runs()).toBe(3);
    f.settle(REFUSED);
    expect(await last).toEqual(REFUSED);
  });

  it("the outage round's refusing feeds share one probe; any other feed has one of its own", async () => {
    const probe = new OutageProbe();
    probe.outageRound(["a", "b"]);
    const until = Date.now() + 60_000;
    const f = flushes();
    const a = probe.run("a", () => until, f.flush);
    const b = probe.run("b", () => until, f.flush); // waits for a's: they refused together
    const c = probe.run("c", () => until, f.flush); // not waiting for a feed that is not its own
    await drained();
    expect(f.runs()).toBe(2);
    f.settle(REFUSED); // a's
    expect(await a).toEqual(REFUSED);
    expect(await b).toBeUndefined();
    f.settle(TOOK); // c's own feed took its events
    expect(await c).toEqual(TOOK);
    expect(await probe.run("b", () => until, f.flush)).toBeUndefined(); // its gate's window was refused
    const d = probe.run("d", () => until, f.flush);
    expect(f.runs()).toBe(3);
    f.settle(REFUSED);
    expect(await d).toEqual(REFUSED);
    expect(await probe.run("d", () => until, f.flush)).toBeUndefined();
    expect(f.runs()).toBe(3);
  });

  it("a probe unanswered past its bound counts as refused: its readers are answered, the next window probes afresh", async () => {
    const probe = new OutageProbe(20);
    let until = Date.now() + 60_000;
    let hung = 0;
    const never = () => {
      hung++;
      return new Promise<FlushResult>(() => {});
    };
    const first = probe.run("a", () => until, never);
    const waiter = probe.run("a", () => until, never);
    expect(await Promise.all([first, waiter])).toEqual([undefined, undefined]);
    expect(await probe.run("a", () => until, never)).toBeUndefined(); // at once, no send
    expect(hung).toBe(1);
    until += 1; // the next window: not a wait on the probe still out
    const f = flushes();
    const next = probe.run("a", () => until, f.flush);
    expect(f.runs()).toBe(1);
    f.settle(REFUSED);
    expect(await next).toEqual(REFUSED);
  });
});
