// A feed that refuses holds no other job's readers during an outage backoff: the outage round's feeds (those that
// refused it) share one probe a window, but a reader of a feed the round did not try — its job's events written in
// the window, its feed healthy — is gated by its own feed only: served while the broken feed's probe is refused, and
// while it is still out. It was gated by the first reader's probe coordinator-wide: refused (503) for the rest of the
// window (up to 128 s) after another job's feed refused, and held while that feed's call ran. Real coordinator and
// `openFeed`, real JobFeeds for the healthy job; a stand-in for the broken feed; the window's end set, never waited.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { submit, until } from "./client.ts";
import {
  answered,
  type Composed,
  feedsAnswering,
  held,
  outageRound,
  read,
  refusals,
  writeEvent,
} from "./outbox-outage-window.ts";
import { holdAlarm } from "./state.ts";

/** Jobs a (its feed broken), b and c (healthy) of `product`, and a backoff window begun by a and b refusing a round. */
async function brokenFeedWindow(product: string) {
  const [broken, other, healthy] = await Promise.all([1, 2, 3].map((n) => submit(product, { title: `job ${n}` })));
  const [a, b, c] = [broken!.id, other!.id, healthy!.id];
  await holdAlarm(product); // the runtime's own firings do nothing: no round runs but the test's
  return { a, b, c };
}

describe("a broken feed during an outage backoff", () => {
  it("refuses its own reader, not a reader of another job's healthy feed", async () => {
    const product = "outage-probe-feeds-refused";
    const { a, b, c } = await brokenFeedWindow(product);
    const out = await runInDurableObject(env.COORDINATOR.getByName(product), async (instance, state) => {
      const co = instance as unknown as Composed;
      await co.outbox.deliver(); // the submits' records, shipped for real
      const { refuse, sends } = refusals();
      // The outage round: the feeds of a and b refuse (two destinations, nothing taken); c's is not tried.
      const backedOff = await outageRound(
        co,
        product,
        feedsAnswering(product, (id) => (id === a || id === b ? refuse(id) : undefined)),
        [a, b],
      );
      // In the window only a's feed is broken; c's job writes an event the backoff keeps from any round.
      co.outbox.env = feedsAnswering(product, (id) => (id === a ? refuse(id) : undefined));
      await writeEvent(co, product, c);
      const probe = { a: await read(co, product, a), sendsA: sends(a), heldC: held(state.storage.sql, c) > 0 };
      const after = { c: await read(co, product, c), heldC: held(state.storage.sql, c) };
      return { backedOff, probe, after };
    });
    expect(out.backedOff).toBe(true);
    expect(out.probe).toEqual({ a: "unavailable", sendsA: 2, heldC: true }); // the round's send, then the probe's
    expect(out.after).toEqual({ c: "ok", heldC: 0 }); // was "unavailable", c's event held: a's probe was refused
  });

  it("holds no reader of another job's healthy feed while its probe's call is still out", async () => {
    const product = "outage-probe-feeds-out";
    const { a, b, c } = await brokenFeedWindow(product);
    const out = await runInDurableObject(env.COORDINATOR.getByName(product), async (instance, state) => {
      const co = instance as unknown as Composed;
      await co.outbox.deliver();
      const { refuse } = refusals();
      const backedOff = await outageRound(
        co,
        product,
        feedsAnswering(product, (id) => (id === a || id === b ? refuse(id) : undefined)),
        [a, b],
      );
      // a's feed takes its time: its call answers only when the test says (then refused).
      let release: (e: Error) => void = () => {};
      const slow = new Promise<never>((_, reject) => {
        release = reject;
      });
      let aCalls = 0;
      co.outbox.env = feedsAnswering(product, (id) =>
        id === a
          ? () => {
              aCalls++;
              return slow;
            }
          : undefined,
      );
      await writeEvent(co, product, c);
      const probeA = read(co, product, a);
      await until(
        async () => aCalls,
        (n) => n > 0,
        { what: "a's probe calling its feed" },
      );
      const readC = answered(read(co, product, c));
      // It was held until a's call answered: the wait below ran out.
      const c1 = await until(readC, (v) => v !== undefined, {
        what: "c's reader answered while a's probe is still out",
        ms: 5_000,
      }).finally(() => release(new Error("Network connection lost")));
      const whileOut = { c: c1, heldC: held(state.storage.sql, c), aCalls };
      return { backedOff, whileOut, a: await probeA };
    });
    expect(out.backedOff).toBe(true);
    expect(out.whileOut).toEqual({ c: "ok", heldC: 0, aCalls: 1 });
    expect(out.a).toBe("unavailable");
  });
});
