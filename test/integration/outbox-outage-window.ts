// An outage backoff window on a real coordinator, for the outage probe's tests (outbox/outage-probe): the shipper's
// env swapped for one whose job feeds answer as the test says (a feed refusing, or never answering; every other feed
// and binding the real one), an outage round that begins a window, and readers opening feeds in it.
import { env } from "cloudflare:test";
import { wantFeed } from "../../src/durable-objects/coordinator/outbox/feed-wanted.ts";
import { enqueueEvent } from "../../src/durable-objects/coordinator/outbox/records.ts";
import type { Units } from "../../src/durable-objects/coordinator/runtime/units.ts";
import { feedName } from "../../src/shared/coordinator-rpc.ts";
import { until } from "./client.ts";

type Opened = { ok: boolean; error?: { code: string } };
/** The composed coordinator's parts these tests reach: the shipper's env, backoff and probe, its units, `openFeed`. */
export interface Composed {
  outbox: {
    env: Env;
    retryAt: number;
    delivering: Promise<number> | null;
    timer: unknown;
    probe: { waitMs?: number };
    deliver(): Promise<number>;
  };
  units: Units;
  openFeed(productId: string, id: string, whole: boolean, caller: string): Promise<Opened>;
}

/** How a feed answers an append: the test's stand-in, or the real JobFeed (undefined). */
export type FeedAnswer = (() => Promise<never>) | undefined;

/** The Worker's env, but the job feeds `answer` gives a stand-in for answer with it. */
export function feedsAnswering(product: string, answer: (jobId: string) => FeedAnswer): Env {
  const real = env.JOB_FEED;
  const getByName = (name: string) => {
    const jobId = name.slice(feedName(product, "").length);
    const stand = answer(jobId);
    return stand ? { append: stand } : real.getByName(name);
  };
  return { ...env, JOB_FEED: { getByName } } as unknown as Env;
}

/** A refusing append, counted per job (`sends`). */
export function refusals() {
  const sends = new Map<string, number>();
  const refuse = (jobId: string) => () => {
    sends.set(jobId, (sends.get(jobId) ?? 0) + 1);
    return Promise.reject(new Error("Network connection lost"));
  };
  return { refuse, sends: (jobId: string) => sends.get(jobId) ?? 0 };
}

/**
 * An outage round: once the shipper is idle, it gets `down` as its env, and each of `jobs` writes an event (watched:
 * due at once) that a round sends — every destination refusing, a backoff window begins. Its end is then set a minute
 * on (`windowMs`), so that a loaded box cannot end it mid-test: the probe's windows are the backoff's, whatever it is.
 * @returns whether the round backed off
 */
export async function outageRound(co: Composed, product: string, down: Env, jobs: string[], windowMs = 60_000) {
  // Idle first: a loop begun earlier (the submits' own, on their timer) would ship these with the real env.
  await until(
    async () => ({ running: co.outbox.delivering !== null, timer: co.outbox.timer !== null }),
    (s) => !s.running && !s.timer,
    { what: "the shipper idle: no loop running or waiting on its timer" },
  );
  co.outbox.env = down;
  co.outbox.retryAt = 0;
  await co.units.run(product, (tx) => {
    for (const id of jobs) {
      wantFeed(tx, id);
      enqueueEvent(tx, id, "log", { lines: ["during the outage"] });
    }
  });
  await co.outbox.deliver(); // joins the round the unit's own delivery began
  const backedOff = co.outbox.retryAt > Date.now();
  if (backedOff) co.outbox.retryAt = Date.now() + windowMs;
  return backedOff;
}

/** A job writes an event during the window: no round ships it (the backoff), it waits for a reader's flush. */
export async function writeEvent(co: Composed, product: string, jobId: string): Promise<void> {
  await co.units.run(product, (tx) => {
    wantFeed(tx, jobId);
    enqueueEvent(tx, jobId, "log", { lines: ["written in the window"] });
  });
}

/** A reader of `jobId`'s whole feed (a REST page): "ok", or the error's code. */
export function read(co: Composed, product: string, jobId: string): Promise<string> {
  return co.openFeed(product, jobId, true, "admin").then((r) => r.error?.code ?? "ok");
}

/** Events of `jobId` the outbox still holds (not yet in its feed). */
export function held(sql: SqlStorage, jobId: string): number {
  return sql.exec<{ n: number }>(`SELECT count(*) AS n FROM outbox WHERE kind = 'event' AND job_id = ?`, jobId).one().n;
}

/** `p` answered, as a value a wait can poll: undefined while it is out. */
export function answered<T>(p: Promise<T>): () => Promise<T | undefined> {
  let out: T | undefined;
  p.then((v) => {
    out = v;
  });
  return async () => out;
}
