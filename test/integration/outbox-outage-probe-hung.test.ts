// An outage probe whose feed call never answers (a hung stub call) holds no one: the readers waiting on it — and its
// own — are answered as for a refused probe (503 `unavailable`, its Retry-After) once the probe's bound passes, the
// window's later readers at once and without a send, and the next window has a probe of its own. Every later reader
// of the window awaited it for ever, the next window's too. Real coordinator and `openFeed`; a stand-in feed that
// never answers its first call; the probe's bound set short (its value is no claim here, its existence is).
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { submit, until } from "./client.ts";
import { answered, type Composed, feedsAnswering, outageRound, read, refusals } from "./outbox-outage-window.ts";
import { holdAlarm } from "./state.ts";

/** Readers' answers, as a wait polls them: all of them, or undefined while any is out. */
function allAnswered(reads: Array<Promise<string>>) {
  const polls = reads.map(answered);
  return async () => {
    const got = await Promise.all(polls.map((p) => p()));
    return got.every((v) => v !== undefined) ? got : undefined;
  };
}

describe("an outage probe whose feed call never answers", () => {
  it("answers its readers as refused after its bound, and the next window probes afresh", async () => {
    const product = "outage-probe-hung";
    const [one, two] = await Promise.all([1, 2].map((n) => submit(product, { title: `job ${n}` })));
    const [a, b] = [one!.id, two!.id];
    await holdAlarm(product); // the runtime's own firings do nothing: no round runs but the test's
    const out = await runInDurableObject(env.COORDINATOR.getByName(product), async (instance) => {
      const co = instance as unknown as Composed;
      await co.outbox.deliver(); // the submits' records, shipped for real
      co.outbox.probe.waitMs = 200;
      const { refuse, sends } = refusals();
      const down = feedsAnswering(product, (id) => (id === a || id === b ? refuse(id) : undefined));
      const first = await outageRound(co, product, down, [a, b]);
      // In the window, a's feed never answers its first call; every call after it is refused.
      let hung = 0;
      const hangFirst = feedsAnswering(product, (id) => {
        if (id === b) return refuse(id);
        if (id !== a) return undefined;
        return hung++ === 0 ? () => new Promise<never>(() => {}) : refuse(id);
      });
      co.outbox.env = hangFirst;
      const before = sends(a) + sends(b);
      const probe = read(co, product, a);
      await until(
        async () => hung,
        (n) => n > 0,
        { what: "a's probe calling its feed" },
      );
      const waiting = [read(co, product, a), read(co, product, b)];
      const answers = await until(allAnswered([probe, ...waiting]), (v) => v !== undefined, {
        what: "the probe and its waiters answered, its call still out",
        ms: 5_000,
      });
      const later = [await read(co, product, a), await read(co, product, b)];
      const firstWindow = { answers, later, calls: hung + sends(a) + sends(b) - before };
      // The next window (another outage round): its own probe, not a wait on the one still out.
      const second = await outageRound(co, product, down, [a, b]);
      co.outbox.env = hangFirst;
      const sentBefore = sends(a);
      const next = await until(answered(read(co, product, a)), (v) => v !== undefined, {
        what: "the next window's reader answered",
        ms: 5_000,
      });
      return { first, firstWindow, second, next, probeSent: sends(a) - sentBefore };
    });
    expect(out.first).toBe(true);
    expect(out.second).toBe(true);
    expect(out.firstWindow).toEqual({
      answers: Array(3).fill("unavailable"), // were held for ever
      later: ["unavailable", "unavailable"], // at once: no send after the hung one
      calls: 1,
    });
    expect(out.next).toBe("unavailable");
    expect(out.probeSent).toBe(1); // the next window's probe, refused
  });
});
