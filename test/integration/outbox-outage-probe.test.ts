// During an outage backoff, readers opening the feeds the outage round found refusing (a REST page, a stream, an
// artifact commit) make one send per backoff window, not one each: the first reader's flush is the window's probe,
// readers meanwhile wait for its answer, and once it is refused the window's later readers send nothing — a feed with
// held events answers `unavailable` (503) as a refused flush did, one with none answers at once. Many readers were a
// storm of refused sends, the one thing the backoff exists to prevent. A new window (the next outage round) has a probe
// of its own, and a probe its feed takes ends the outage for the readers behind it, who then ship their own feeds.
// (A feed the round did not try has a probe of its own: outbox-outage-probe-feeds.) Real coordinator and its
// `openFeed`; destinations that refuse stand in for the outage; the backoff ends by setting it.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { wantFeed } from "../../src/durable-objects/coordinator/outbox/feed-wanted.ts";
import { enqueueEvent } from "../../src/durable-objects/coordinator/outbox/records.ts";
import type { Units } from "../../src/durable-objects/coordinator/runtime/units.ts";
import { submit, until } from "./client.ts";
import { holdAlarm } from "./state.ts";

type Opened = { ok: boolean; error?: { code: string } };
/** The composed coordinator's parts this test reaches: the shipper's env and backoff, its units, `openFeed`. */
interface Composed {
  outbox: { env: Env; retryAt: number; delivering: Promise<number> | null; timer: unknown; deliver(): Promise<number> };
  units: Units;
  openFeed(productId: string, id: string, whole: boolean, caller: string): Promise<Opened>;
}

describe("readers opening feeds during an outage backoff", () => {
  it("make one refused send per backoff window, and ship at once after a probe the feed takes", async () => {
    const product = "outage-probe";
    const [a, b, c, quiet] = await Promise.all([1, 2, 3, 4].map((n) => submit(product, { title: `job ${n}` })));
    const ids = [a, b, c].map((j) => j!.id);
    await holdAlarm(product); // the runtime's own firings do nothing: no round runs but the test's
    const out = await runInDurableObject(env.COORDINATOR.getByName(product), async (instance, state) => {
      const co = instance as unknown as Composed;
      await co.outbox.deliver(); // the submits' records, shipped for real
      expect((await co.openFeed(product, quiet!.id, true, "admin")).ok).toBe(true); // its held events reach its feed
      let sends = 0;
      const refuse = () => {
        sends++;
        return Promise.reject(new Error("Network connection lost"));
      };
      const real = co.outbox.env;
      const down = { ...env, JOB_FEED: { getByName: () => ({ append: refuse }) } } as unknown as Env;
      /** An outage round: each job writes an event, every feed refuses it; a backoff window begins. */
      const outage = async () => {
        // Idle first: a loop begun earlier (the submits' own, on their timer) would ship these with the real env.
        await until(
          async () => ({ running: co.outbox.delivering !== null, timer: co.outbox.timer !== null }),
          (s) => !s.running && !s.timer,
          { what: "the shipper idle: no loop running or waiting on its timer" },
        );
        co.outbox.env = down;
        co.outbox.retryAt = 0;
        const before = sends;
        await co.units.run(product, (tx) => {
          for (const id of ids) {
            wantFeed(tx, id); // watched: due at once, not held for coalescing
            enqueueEvent(tx, id, "log", { lines: ["during the outage"] });
          }
        });
        await co.outbox.deliver(); // joins the round the unit's own delivery began
        return { roundSends: sends - before, backedOff: co.outbox.retryAt > Date.now() };
      };
      const read = (id: string) => co.openFeed(product, id, true, "admin").then((r) => r.error?.code ?? "ok");
      const first = await outage();
      // Six readers: four at once (the first is the probe, the rest wait for its answer), two after it.
      let before = sends;
      const together = await Promise.all([ids[0]!, ids[0]!, ids[1]!, ids[2]!].map(read));
      const after = [await read(ids[1]!), await read(ids[2]!), await read(quiet!.id)];
      const firstWindow = { sends: sends - before, together, after };
      // The next window (its backoff ended, another outage round): a probe of its own, refused too.
      const second = await outage();
      before = sends;
      const secondReads = [await read(ids[0]!), await read(ids[1]!)];
      const secondWindow = { sends: sends - before, reads: secondReads };
      // A third window, the feeds back before its probe: the probe's feed takes it, and the readers behind it ship.
      const third = await outage();
      co.outbox.env = real;
      const thirdReads = await Promise.all(ids.map(read));
      const left = state.storage.sql
        .exec<{ n: number }>(`SELECT count(*) AS n FROM outbox WHERE kind = 'event' AND job_id IN (?, ?, ?)`, ...ids)
        .one().n;
      return { first, firstWindow, second, secondWindow, third, thirdReads, backoff: co.outbox.retryAt, left };
    });
    for (const round of [out.first, out.second, out.third])
      expect(round, JSON.stringify(out)).toEqual({ roundSends: 3, backedOff: true });
    expect(out.firstWindow).toEqual({
      sends: 1, // the probe's one refused append: not one per reader
      together: Array(4).fill("unavailable"),
      after: ["unavailable", "unavailable", "ok"], // a feed with nothing held is read at once
    });
    expect(out.secondWindow).toEqual({ sends: 1, reads: ["unavailable", "unavailable"] });
    expect(out.thirdReads).toEqual(["ok", "ok", "ok"]);
    expect(out).toMatchObject({ backoff: 0, left: 0 });
  });
});
