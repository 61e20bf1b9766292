// A reader refused because its feed's outage probe was refused (a REST events page: 503 `unavailable`) is told to come
// back when the backoff window ends — no flush of that feed sends before then (outbox/outage-probe) — not in 1 s: told
// 1 s, every client asked again up to 128 times in a window that refuses each of them at once. The wait is the
// window's remaining time (whole seconds, rounded up), bounded by the retry schedule's cap (core/delivery-outage
// `windowRetryAfterSeconds`); a refusal outside a window (a feed that failed a flush) still says 1 s. Real coordinator
// and `openFeed`; a stand-in for the refusing feeds; the window's end set by the test, never waited for.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { RETRY_CAP_MS } from "../../src/core/delivery-retry.ts";
import { submit } from "./client.ts";
import { type Composed, feedsAnswering, outageRound, refusals, writeEvent } from "./outbox-outage-window.ts";
import { holdAlarm } from "./state.ts";

type Refused = { ok: boolean; error?: { code: string; details?: { retryAfterSeconds?: number } } };

/** What a whole read of `jobId`'s feed answers: "ok", or the refusal's code and its wait (s). */
async function waitOf(co: Composed, product: string, jobId: string) {
  const r = (await co.openFeed(product, jobId, true, "admin")) as Refused;
  return r.ok ? "ok" : { code: r.error?.code, wait: r.error?.details?.retryAfterSeconds };
}

describe("a reader refused during an outage backoff", () => {
  it("is told to wait the window's remaining time, bounded; outside a window, 1 s", async () => {
    const product = "outage-retry-after";
    const [one, two] = await Promise.all([1, 2].map((n) => submit(product, { title: `job ${n}` })));
    const [a, b] = [one!.id, two!.id];
    await holdAlarm(product); // the runtime's own firings do nothing: no round runs but the test's
    const out = await runInDurableObject(env.COORDINATOR.getByName(product), async (instance) => {
      const co = instance as unknown as Composed;
      await co.outbox.deliver(); // the submits' records, shipped for real
      const { refuse } = refusals();
      const down = feedsAnswering(product, (id) => (id === a || id === b ? refuse(id) : undefined));
      const backedOff = await outageRound(co, product, down, [a, b], 100_000); // a window 100 s long
      const inWindow = await waitOf(co, product, a); // the window's probe, refused
      const again = await waitOf(co, product, b); // sends nothing: the probe was refused
      // A window past the cap (none is: the backoff's own cap) is still told at most the cap.
      co.outbox.retryAt = Date.now() + 10 * RETRY_CAP_MS;
      await writeEvent(co, product, a);
      const far = await waitOf(co, product, a);
      // No window: a refused flush says 1 s, as before.
      co.outbox.retryAt = 0;
      await writeEvent(co, product, b);
      const outside = await waitOf(co, product, b);
      return { backedOff, inWindow, again, far, outside };
    });
    expect(out.backedOff).toBe(true);
    for (const w of [out.inWindow, out.again]) {
      expect(w).toMatchObject({ code: "unavailable" });
      const wait = (w as { wait: number }).wait;
      expect(wait).toBeGreaterThan(1); // was 1 s in a window of 100
      expect(wait).toBeLessThanOrEqual(100);
    }
    expect(out.far).toEqual({ code: "unavailable", wait: RETRY_CAP_MS / 1000 });
    expect(out.outside).toEqual({ code: "unavailable", wait: 1 });
  });
});
