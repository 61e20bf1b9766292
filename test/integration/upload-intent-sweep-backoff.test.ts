// A feed's abandoned uploads whose bytes R2 refuses to delete are retried by its alarm backed off — a minute, doubling
// with each refusal in a row, at most an hour — and once R2 takes them, the next refusal is retried after a minute
// again. One rule (feed/upload-intents `nextSweepAt`) sets the alarm whatever armed it: the intents' own arming had
// no backoff (a fixed minute: every such feed woke once a minute for ever), and only JobFeed's override added it.
// And a sweep at the instant an intent expires gives it up, rather than re-arming the alarm for that same instant.
import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { UPLOAD_INTENT_TTL_MS } from "../../src/core/artifact-limits.ts";
import {
  DOOMED_RETRY_MAX_MS,
  doomStaleIntents,
  nextSweepAt,
  SWEEP_RETRY_MS,
} from "../../src/durable-objects/feed/upload-intents.ts";
import type { JobFeed } from "../../src/durable-objects/job-feed.ts";
import { feedName } from "../../src/shared/coordinator-rpc.ts";
import { alarmIn, refuseDeletes } from "./feed-r2.ts";

const product = "intent-sweep-backoff";
const jobId = "job_intent_backoff";
const feed = () => env.JOB_FEED.getByName(feedName(product, jobId));

/** An upload of `name` begun and then given up (its bytes in R2, doomed). */
async function abandoned(name: string): Promise<string> {
  const r2Key = `${product}/${jobId}/operator/up_${name}/${name}`;
  await env.ARTIFACTS.put(r2Key, "bytes");
  await feed().intendUpload(product, jobId, { r2Key, name, size: 5, settledAt: null });
  await feed().abandonUpload(r2Key);
  return r2Key;
}

/** What the one rule says of the feed as it stands, `now` being the feed's own clock: ms from now. */
const ruleIn = () =>
  runInDurableObject(feed(), (_: JobFeed, state: DurableObjectState) => {
    const now = Date.now();
    const at = nextSweepAt(state.storage.sql, now);
    return at === null ? null : at - now;
  });

describe("an abandoned upload whose bytes R2 keeps refusing to delete", () => {
  it("is retried by the feed's alarm backed off, and after a minute again once R2 has taken them", async () => {
    const restore = await refuseDeletes(feed());
    const delays: number[] = [];
    let first: string;
    try {
      first = await abandoned("a.txt"); // its sweep is refused: once
      delays.push((await alarmIn(feed())) ?? 0);
      for (let i = 0; i < 8; i++) {
        expect(await runDurableObjectAlarm(feed())).toBe(true); // the alarm's sweep: refused again, re-armed
        delays.push((await alarmIn(feed())) ?? 0);
      }
      // The rule itself backs off: whatever arms the alarm next (an upload, a delete) arms it as late.
      expect((await ruleIn()) ?? 0).toBeGreaterThan(DOOMED_RETRY_MAX_MS - 60_000);
    } finally {
      await restore();
    }
    expect(delays[0]).toBeLessThanOrEqual(SWEEP_RETRY_MS);
    expect(delays[2]! - delays[1]!).toBeGreaterThan(60_000); // doubling, not a fixed minute
    expect(delays[3]! - delays[2]!).toBeGreaterThan(120_000);
    expect(Math.max(...delays)).toBeLessThanOrEqual(DOOMED_RETRY_MAX_MS);
    expect(delays.at(-1)!).toBeGreaterThan(DOOMED_RETRY_MAX_MS - 60_000);
    expect(await env.ARTIFACTS.head(first)).not.toBeNull(); // kept while refused

    // R2 takes them: gone, and nothing left to wake for.
    expect(await runDurableObjectAlarm(feed())).toBe(true);
    expect(await env.ARTIFACTS.head(first)).toBeNull();
    expect(await alarmIn(feed())).toBeNull();

    // The next refusal is retried after a minute again: the backoff was R2's refusals in a row, now ended.
    const again = await refuseDeletes(feed());
    let second: string;
    try {
      second = await abandoned("b.txt");
      const next = (await alarmIn(feed())) ?? Number.POSITIVE_INFINITY;
      expect(next).toBeLessThanOrEqual(SWEEP_RETRY_MS);
      expect(next).toBeGreaterThan(0);
    } finally {
      await again();
    }
    expect(await runDurableObjectAlarm(feed())).toBe(true);
    expect(await env.ARTIFACTS.head(second)).toBeNull();
  });
});

// An intent's alarm wakes at the instant it expires (`at + UPLOAD_INTENT_TTL_MS`): a sweep at that instant gives it up,
// so the alarm is next due later, never at the instant the sweep ran. The sweep had kept an intent exactly that old
// (stale only once strictly older), and the rule re-armed the alarm for that same instant: a sweep doing nothing,
// over and over, until the clock moved.
describe("a feed's sweep at the very instant an upload intent expires", () => {
  it("gives the intent up, and arms the alarm for later, not for the instant it ran", async () => {
    const stub = env.JOB_FEED.getByName(feedName(product, "job_intent_expiry"));
    const r2Key = `${product}/job_intent_expiry/operator/up_1/x.txt`;
    await stub.intendUpload(product, "job_intent_expiry", { r2Key, name: "x.txt", size: 1, settledAt: null });
    const { doomed, next, now } = await runInDurableObject(stub, (_: JobFeed, state: DurableObjectState) => {
      const sql = state.storage.sql;
      const at = sql.exec<{ at: number }>("SELECT at FROM upload_intents WHERE r2_key = ?", r2Key).one().at;
      const expiry = at + UPLOAD_INTENT_TTL_MS; // when nextSweepAt woke the alarm for it
      return { doomed: doomStaleIntents(sql, expiry), next: nextSweepAt(sql, expiry), now: expiry };
    });
    expect(doomed).toBe(1);
    expect(next).not.toBeNull();
    expect(next!).toBeGreaterThan(now);
    await stub.sweep(); // its bytes (none were written) deleted, the doomed key dropped
  });
});
