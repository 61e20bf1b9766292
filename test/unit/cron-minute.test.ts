// Proves the local runtime says a failed cron run: Miniflare (real workerd here) answers a run whose handler threw,
// or whose waitUntil rejected, with `outcome: "exception"` instead of throwing, so each must print its own
// `✘ ERROR cron_failed` line naming the trigger (scripts/cron-minute) — the runtime once printed only on a throw, and
// every failed local sweep went unsaid. A successful run and a trigger not due print nothing; a stop under the call
// prints nothing either.
import { convertV4MiniflareOptions, Miniflare } from "miniflare";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCronMinute } from "../../scripts/cron-minute.ts";
import { cronMatcher } from "../../src/core/cron.ts";

const SCRIPT = `export default {
  async scheduled(controller, env, ctx) {
    if (controller.cron === "1 * * * *") throw new Error("sweep failed");
    if (controller.cron === "2 * * * *") ctx.waitUntil(Promise.reject(new Error("prune failed")));
  },
};`;

let mf: Miniflare;
beforeAll(async () => {
  mf = new Miniflare(convertV4MiniflareOptions({ modules: true, script: SCRIPT, compatibilityDate: "2026-08-01" }));
  await mf.ready;
});
afterAll(async () => {
  await mf?.dispose();
});

const at = (minute: number) => new Date(Date.UTC(2026, 11, 5, 6, minute));
const triggers = ["* * * * *", "1 * * * *", "2 * * * *"].map((cron) => ({ cron, due: cronMatcher(cron) }));
const run = (minute: number) =>
  runCronMinute(
    () => mf.getWorker(),
    triggers,
    at(minute),
    () => false,
  );

describe("a local cron minute", () => {
  it("prints nothing when every due run succeeded", async () => {
    expect(await run(0)).toEqual([]);
  });

  it("prints cron_failed naming a run whose handler threw", async () => {
    const lines = await run(1);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain("cron_failed");
    expect(lines[0]).toContain('"1 * * * *" ended exception');
  });

  it("prints cron_failed for a run whose waitUntil rejected (the reaper's failed sweep)", async () => {
    const lines = await run(2);
    expect(lines).toEqual([expect.stringContaining('"2 * * * *" ended exception')]);
  });

  it("prints the error of a runtime that could not be reached, unless it is stopping", async () => {
    const gone = () => Promise.reject(new Error("runtime disposed"));
    expect(await runCronMinute(gone, triggers, at(0), () => false)).toEqual([
      expect.stringContaining("runtime disposed"),
    ]);
    expect(await runCronMinute(gone, triggers, at(0), () => true)).toEqual([]);
  });
});
