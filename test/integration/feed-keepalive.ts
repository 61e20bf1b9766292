/**
 * The SSE keep-alive round of a job feed (feed/sse `ping`, every 15 s), driven by tests as a state rather than waited
 * for. The round drops a stream whose reader took nothing between two rounds — rightly — so a test that keeps a
 * stalled reader on purpose (to count the cap, or to see it cut off for backlog) must stop the round first: on a
 * loaded CI box such a test ran past two rounds (34 s) and its stalled stream was dropped before it was counted.
 */
import { runInDurableObject } from "cloudflare:test";
import type { JobFeed } from "../../src/durable-objects/job-feed.ts";

interface SseInternals {
  ping(): void;
  count: number;
  keepAlive?: ReturnType<typeof setInterval>;
}
const sseOf = (instance: JobFeed) => (instance as unknown as { sse: SseInternals }).sse;

/** One keep-alive round of the feed's SSE watchers, as its interval runs it. */
export const pingSse = (feed: DurableObjectStub<JobFeed>) =>
  runInDurableObject(feed, (instance) => sseOf(instance).ping());

/** Streams counted toward the watcher cap: live ones and ended ones still holding a backlog. */
export const heldSse = (feed: DurableObjectStub<JobFeed>) =>
  runInDurableObject(feed, (instance) => sseOf(instance).count);

/**
 * Stops the feed's keep-alive round for the rest of the test; the feed must have an open stream (the round runs only
 * then). The handle is left set, so no later stream starts the round again.
 */
export const holdKeepAlive = (feed: DurableObjectStub<JobFeed>) =>
  runInDurableObject(feed, (instance) => {
    const sse = sseOf(instance);
    if (sse.keepAlive === undefined) throw new Error("no keep-alive round to hold: open a stream first");
    clearInterval(sse.keepAlive);
  });
