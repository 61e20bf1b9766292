/**
 * Test-only state surgery: set a coordinator's rows directly instead of
 * sleeping — e.g. "this lease ran out a second ago". Both the indexed column
 * and the job document are changed, exactly as the store keeps them.
 */
import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { FeedBudget } from "../../src/core/feed-budget.ts";
import { type DeliveryHost, QueueHealth } from "../../src/durable-objects/coordinator/outbox/delivery.ts";
import { until } from "./polling.ts";

/**
 * Let the lease run out `agoMs` ago. The alarm is settled first (`settleAlarm`), so the test's own
 * `runDurableObjectAlarm` is the run that finds the expiry.
 */
export async function expireLeaseNow(product: string, jobId: string, agoMs = 1000): Promise<void> {
  await settleAlarm(product);
  await lapseLease(product, jobId, agoMs);
}

/**
 * Run the coordinator's alarm until the job's lapsed lease is expired (`expireLeaseNow` first), and return how many
 * runs of the test's own found work. Why not assert that the test's one `runDurableObjectAlarm` ran: an alarm run
 * still under way when `settleAlarm` looked (armed ahead, awaiting its outbox delivery) re-arms at its end for the
 * lapsed lease, and the runtime fires that run on its own — the expiry happened, the test's run found nothing
 * (seen once on a loaded CI machine). Bounded by `until`'s default.
 */
export async function runExpiry(product: string, jobId: string): Promise<number> {
  const stub = env.COORDINATOR.getByName(product);
  let ran = 0;
  await until(
    async () => {
      if (await runDurableObjectAlarm(stub)) ran++;
      return runInDurableObject(stub, (_instance, state) =>
        state.storage.sql.exec("SELECT lease_expires_at FROM jobs WHERE id = ?", jobId).one(),
      );
    },
    (row) => row.lease_expires_at === null,
    { what: `${jobId}'s lapsed lease expired by the alarm` },
  );
  return ran;
}

/**
 * Let the lease run out `agoMs` ago, the alarm left as it is: for a test that holds it (`holdAlarm`), so that only
 * what the test does next can find the expiry.
 */
export async function lapseLease(product: string, jobId: string, agoMs = 1000): Promise<void> {
  await runInDurableObject(env.COORDINATOR.getByName(product), (_instance, state) => {
    const at = Date.now() - agoMs;
    state.storage.sql.exec(
      "UPDATE jobs SET lease_expires_at = ?1, doc = json_set(doc, '$.leaseExpiresAt', ?1) WHERE id = ?2",
      at,
      jobId,
    );
  });
}

/** How long `settleAlarm` waits before it throws, ms. */
const SETTLE_MS = 10_000;

/**
 * Waits until the coordinator's alarm is armed more than `withinMs` ahead, running it meanwhile while it is due
 * sooner. Why: the outbox arms the alarm a few ms ahead, and the runtime fires it on its own. A run still under way
 * (awaiting its outbox delivery, when other events get in) shows no alarm armed; were state moved then, that run
 * would not see the move, and the test's `runDurableObjectAlarm` would find nothing to run. Bounded: 10 s (polling's
 * own default; 2 s ran out on a loaded 2-core box, load ~20, with the alarm's run still under way), then it throws — a
 * test that went on unsettled would fail later, at an assertion that no longer says why.
 */
export async function settleAlarm(product: string, withinMs = 1000): Promise<void> {
  const stub = env.COORDINATOR.getByName(product);
  const deadline = Date.now() + SETTLE_MS;
  let at: number | null = null;
  while (Date.now() < deadline) {
    at = await runInDurableObject(stub, (_instance, state) => state.storage.getAlarm());
    if (at !== null && at > Date.now() + withinMs) return;
    if (at === null)
      await new Promise((resolve) => setTimeout(resolve, 10)); // a run under way re-arms when done
    else await runDurableObjectAlarm(stub);
  }
  const armed = at === null ? "none armed" : `armed ${at - Date.now()} ms ahead`;
  throw new Error(
    `${product}'s alarm never settled more than ${withinMs} ms ahead within ${SETTLE_MS} ms; last: ${armed}`,
  );
}

/** Make the coordinator's alarm due now (as if the clock had moved on). */
export async function makeAlarmDue(product: string): Promise<void> {
  const stub = env.COORDINATOR.getByName(product);
  await runInDurableObject(stub, async (_instance, state) => {
    await state.storage.setAlarm(Date.now());
  });
}

/** Let every exclusion of a job end now, as if its backoff had passed (core/exclusions). */
export async function lapseExclusions(product: string, jobId: string): Promise<void> {
  const stub = env.COORDINATOR.getByName(product);
  await runInDurableObject(stub, (_instance, state) => {
    state.storage.sql.exec("UPDATE exclusions SET until = ? WHERE job_id = ?", Date.now() - 1, jobId);
  });
}

/**
 * Wait until the trailing dispatch pass that units schedule when they move the queue (factories/throttle, one
 * per macrotask) has run — so a test can read "this job was not dispatched" as the pass's decision, not its delay.
 */
export async function dispatchSettled(product: string): Promise<void> {
  const stub = env.COORDINATOR.getByName(product);
  const due = () =>
    runInDurableObject(
      stub,
      (instance) => (instance as unknown as { link: { throttle: { passDue: boolean } } }).link.throttle.passDue,
    );
  for (let i = 0; i < 1000 && (await due()); i++) {
    /* each check is one event on the object: the scheduled pass runs between them */
  }
  if (await due()) throw new Error(`the dispatch pass of ${product} never ran`);
}

/**
 * `count - 1` copies of queued job `seedId`, each queued 1 ms before it (so all older than anything submitted
 * after): deep-queue state set by direct SQL instead of built through thousands of submits and their outbox
 * deliveries. Every indexed column is copied, the capability bucket (`cap_key`) and serial key included.
 */
export async function cloneQueued(product: string, seedId: string, count: number): Promise<void> {
  await runInDurableObject(env.COORDINATOR.getByName(product), (_instance, state) => {
    state.storage.sql.exec(
      `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?1)
       INSERT INTO jobs(id, stage, priority_value, queued_at, created_at, serial_key, rev, doc, cap_key)
       SELECT printf('job_clone_%05d', i), stage, priority_value, queued_at - 1, created_at - 1, serial_key, rev,
              json_set(doc, '$.id', printf('job_clone_%05d', i), '$.queuedAt', queued_at - 1), cap_key
         FROM jobs, n WHERE jobs.id = ?2`,
      count - 1,
      seedId,
    );
  });
}

/**
 * Starts recording the text of every SQL statement any Durable Object of this isolate runs (SqlStorage's `exec`,
 * wrapped on its prototype); the returned function stops recording and gives the texts, in order. Call it inside
 * `runInDurableObject`; the stop function may be kept (e.g. on globalThis) and called from a later one.
 */
export function recordStatements(state: DurableObjectState): () => string[] {
  const proto = Object.getPrototypeOf(state.storage.sql) as { exec: (q: string, ...a: unknown[]) => unknown };
  const exec = proto.exec;
  const seen: string[] = [];
  proto.exec = function (this: unknown, q: string, ...b: unknown[]) {
    seen.push(q);
    return exec.call(this, q, ...b);
  };
  return () => {
    proto.exec = exec;
    return seen;
  };
}

/**
 * SQLite's plan for `query` with `args` bound, one step per line (EXPLAIN QUERY PLAN's `detail`): what a test pins
 * when a query must keep to its index (no scan, no temp B-tree).
 */
export function queryPlan(sql: SqlStorage, query: string, ...args: unknown[]): string {
  return sql
    .exec<{ detail: string }>(`EXPLAIN QUERY PLAN ${query}`, ...args)
    .toArray()
    .map((r) => r.detail)
    .join("\n");
}

/**
 * The DeliveryHost a coordinator's shipper builds (outbox/delivery), over one coordinator's SQLite: a fresh feed
 * budget, D1 history never held. `over` is what the test drives: its clock (`now`, ms), its atomic unit
 * (`transact`), what a round's feed call does (`appendFeeds`) and, to make the history queue fail, an `env`.
 */
export function deliveryHost(
  productId: string,
  sql: SqlStorage,
  over: Pick<DeliveryHost, "now" | "transact" | "appendFeeds"> & Partial<Pick<DeliveryHost, "env">>,
): DeliveryHost {
  return { env, productId, sql, feeds: new FeedBudget(), queues: new QueueHealth(), historyHeld: () => false, ...over };
}

/** A FeedBudget whose clock stands still at `stoppedAt` while it is set (the budget is pure: `now` is a parameter). */
export class StoppedClockBudget extends FeedBudget {
  stoppedAt: number | undefined;
  private at = (now: number) => this.stoppedAt ?? now;
  override admitOne(key: string, now: number) {
    return super.admitOne(key, this.at(now));
  }
  override busy(now: number, holdMs?: number) {
    super.busy(this.at(now), holdMs);
  }
  override isBusy(now: number) {
    return super.isBusy(this.at(now));
  }
  override nextNewAt(now: number) {
    return super.nextNewAt(this.at(now));
  }
  override touch(key: string, now: number) {
    super.touch(key, this.at(now));
  }
  override openCount(now: number) {
    return super.openCount(this.at(now));
  }
}

/** Let every serial stop hold a job's run left end now, as if its end had passed (core/serial-holds `engineStopsBy`). */
export async function lapseSerialHolds(product: string, jobId: string): Promise<void> {
  await runInDurableObject(env.COORDINATOR.getByName(product), (_instance, state) => {
    state.storage.sql.exec("UPDATE serial_holds SET until = ? WHERE job_id = ?", Date.now() - 1, jobId);
  });
}

/**
 * A new coordinator instance over the same storage, as after a crash: the old one is aborted (its sockets dropped
 * without a close event, its memory gone) and the next request constructs one.
 */
export async function restartCoordinator(product: string): Promise<void> {
  await runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) => {
    try {
      state.abort("test: restart");
    } catch {
      // abort throws in the caller by design
    }
  }).catch(() => undefined);
}

/**
 * Keep the coordinator's alarm from running (the runtime fires a due one at once, and a cascade's next chunk is due
 * at once): what a cancel left for the alarm stays left until the returned function lets it run again, due now.
 * Held, it delivers no outbox records either: read the history (audits) only after.
 */
export async function holdAlarm(product: string): Promise<() => Promise<void>> {
  const stub = env.COORDINATOR.getByName(product);
  type Alarmed = { alarm?: () => void | Promise<void> };
  await runInDurableObject(stub, (instance: Alarmed) => {
    instance.alarm = async () => {};
  });
  return () =>
    runInDurableObject(stub, async (instance: Alarmed, state) => {
      delete instance.alarm; // the class's own again
      await state.storage.setAlarm(Date.now());
    });
}

/**
 * Runs the coordinator's alarm, then `read`, until `ok` holds (`until`'s bound, and like it, throws at the deadline
 * with the last read): a cancel cascade's chunks, each in an alarm of its own, finished without waiting for the
 * runtime to fire them. Returns the read that satisfied `ok`.
 */
export async function alarmUntil<T>(product: string, read: () => Promise<T>, ok: (v: T) => boolean): Promise<T> {
  const stub = env.COORDINATOR.getByName(product);
  const what = `${String(ok).replace(/\s+/g, " ")} (running ${product}'s alarm between reads)`;
  return until(
    async () => {
      await runDurableObjectAlarm(stub);
      return read();
    },
    ok,
    { what },
  );
}

/** An artifact pointer as a JobFeed stores it (9 bytes of text, a zero digest), for tests that call the feed directly. */
export const feedPointer = (jobId: string, name: string, r2Key: string) => ({
  jobId,
  name,
  r2Key,
  size: 9,
  contentType: "text/plain",
  sha256: "0".repeat(64),
  createdAt: Date.now(),
  uploadedBy: "operator",
});
