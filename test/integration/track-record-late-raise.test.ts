// A closed run's late charge (policies/closed-run-raise; workerd, real DO storage and D1) revises only the track record
// that holds the run — the one that counted it (`track_records.made` = `runs.track_made`). A record evicted at
// MAX_TRACK_ROWS and made afresh by later runs of its key keeps the mean of the runs it holds. In a chunked rebuild
// (`POST …/routing/rebuild`, REBUILD_CHUNK runs a unit: policies/track-rebuild) a raise between the chunks leaves the
// emptied, partly replayed record alone, and the run's chunk replays it at the raised cost — its coordinator row's,
// even when the chunk was read from D1 before the raise reached D1; a raise after the run's chunk revises the rebuilt
// record. Each ends with the record a rebuild from D1, with no raise between its chunks, gives. A record and its runs
// from before the numbers (NULL in both) still match, so such a record is revised as before.
import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { unwrap } from "../../src/core/errors.ts";
import { emptyRecord } from "../../src/core/track-record.ts";
import { type KeyedRecord, MAX_TRACK_ROWS } from "../../src/durable-objects/coordinator/policies/track-records.ts";
import { ADMIN, api, claim, enroll, getJob, type JobView, P, submit } from "./client";
import { historyUntil } from "./history-wait.ts";
import { expireLeaseNow } from "./state";

type Reported = JobView & { code?: string };
const patch = (product: string, token: string, jobId: string, json: Record<string, unknown>) =>
  api<Reported>("PATCH", `${P(product)}/jobs/${jobId}`, { token, json });
const trackRecords = async (product: string, factoryId: string) =>
  (
    await api<{ records: KeyedRecord[] }>("GET", `${P(product)}/routing/track-records?factoryId=${factoryId}`, {
      token: ADMIN,
    })
  ).body.records;

describe("a late charge revises only the track record that counted its run", () => {
  // What a user lost: the router's costFit, explain and the fleet card read factory f as charging $11 a run for a
  // class whose only counted run (the record's n = 1) cost $3 — a mean above every cost the record holds, for as long
  // as the record's half-life keeps it. The late run had been evicted with its old record (the stalest of
  // MAX_TRACK_ROWS): the record under its key now is a new one that never counted it, yet the raise "revises" it.
  it("a late raise of a run whose track record was evicted and made afresh does not move the new record's mean", async () => {
    const product = "r2-evicted-record";
    expect(
      (
        await api("PUT", `${P(product)}/budget`, {
          token: ADMIN,
          json: { period: "day", ceilingUsd: 100, onExhausted: "pause" },
        })
      ).status,
    ).toBe(200);
    const f = await enroll(product, "f");
    const g = await enroll(product, "g");
    const job1 = await submit(product, { title: "outlives its lease", maxAttempts: 5 });
    const first = (await claim(product, f.token)).body;
    expect(first.job.id).toBe(job1.id);
    const epoch1 = first.lease.leaseEpoch;
    expect(
      (await patch(product, f.token, job1.id, { leaseEpoch: epoch1, stage: "building", insights: { costUsd: 1 } }))
        .status,
    ).toBe(200);
    await expireLeaseNow(product, job1.id);
    await runDurableObjectAlarm(env.COORDINATOR.getByName(product));
    expect((await getJob(product, job1.id)).stage).toBe("queued"); // run 1 closed `timeout` at $1, counted for f
    expect((await trackRecords(product, f.factoryId))[0]?.record.costUsd.mean).toBeCloseTo(1, 9);

    // The table fills with other (newer) records up to its cap: f's is the stalest.
    await runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) => {
      const doc = JSON.stringify(emptyRecord(Date.now() + 1e9));
      for (let i = 0; i < MAX_TRACK_ROWS - 1; i++)
        state.storage.sql.exec(
          "INSERT INTO track_records(factory_id, engine, job_class, updated_at, doc) VALUES (?, '*', 'filler', ?, ?)",
          `filler-${i}`,
          Date.now() + 1e9,
          doc,
        );
    });
    // g runs job 1 again: its new record evicts the stalest, f's (and run 1 with it).
    const second = (await claim(product, g.token)).body;
    expect(second.job.id).toBe(job1.id);
    const ok = { outcome: "success", rc: 0, message: "green" };
    const done2 = { leaseEpoch: second.lease.leaseEpoch, stage: "testing", result: ok, insights: { costUsd: 2 } };
    expect((await patch(product, g.token, job1.id, { ...done2, stage: "building", result: undefined })).status).toBe(
      200,
    );
    expect((await patch(product, g.token, job1.id, done2)).status).toBe(200);
    expect(await trackRecords(product, f.factoryId)).toHaveLength(0); // evicted

    // f's record is made afresh by a new run of the same class: n = 1, $3.
    const job2 = await submit(product, { title: "f again", maxAttempts: 5 });
    const third = (await claim(product, f.token)).body;
    expect(third.job.id).toBe(job2.id);
    const done3 = { leaseEpoch: third.lease.leaseEpoch, stage: "testing", result: ok, insights: { costUsd: 3 } };
    expect((await patch(product, f.token, job2.id, { ...done3, stage: "building", result: undefined })).status).toBe(
      200,
    );
    expect((await patch(product, f.token, job2.id, done3)).status).toBe(200);
    const fresh = (await trackRecords(product, f.factoryId))[0]?.record;
    expect([fresh?.n, fresh?.costUsd.mean]).toEqual([1, 3]);

    // Run 1's agent's last report, fenced: charged (run 1 rises to $9), but f's new record never counted run 1.
    const late = { leaseEpoch: epoch1, stage: "failed", result: { outcome: "failure" }, insights: { costUsd: 9 } };
    expect((await patch(product, f.token, job1.id, late)).body.code).toBe("fenced");
    const after = (await trackRecords(product, f.factoryId))[0]?.record;
    expect(after?.n).toBe(1);
    expect(after?.costUsd.mean).toBeCloseTo(3, 9); // before: ≈ 11, 3 + (9 − 1) for a run it never held
  });

  // A record and the runs it counted from before `made` (both NULL: the columns added to tables made before them)
  // still match, so a late raise revises such a record as it did.
  it("a late raise revises a record from before the record numbers that counted its run", async () => {
    const product = "r2-legacy-record";
    const put = await api("PUT", `${P(product)}/budget`, {
      token: ADMIN,
      json: { period: "day", ceilingUsd: 100, onExhausted: "pause" },
    });
    expect(put.status).toBe(200);
    const f = await enroll(product, "f");
    const job = await submit(product, { title: "outlives its lease", maxAttempts: 5 });
    const lease = (await claim(product, f.token)).body;
    const epoch = lease.lease.leaseEpoch;
    const building = { leaseEpoch: epoch, stage: "building", insights: { costUsd: 1 } };
    expect((await patch(product, f.token, job.id, building)).status).toBe(200);
    await expireLeaseNow(product, job.id);
    await runDurableObjectAlarm(env.COORDINATOR.getByName(product));
    expect((await getJob(product, job.id)).stage).toBe("queued"); // closed `timeout` at $1, counted for f
    await runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) => {
      state.storage.sql.exec("UPDATE track_records SET made = NULL");
      state.storage.sql.exec("UPDATE runs SET track_made = NULL");
    });
    const late = { leaseEpoch: epoch, stage: "failed", result: { outcome: "failure" }, insights: { costUsd: 9 } };
    expect((await patch(product, f.token, job.id, late)).body.code).toBe("fenced");
    const record = (await trackRecords(product, f.factoryId))[0]?.record;
    expect([record?.n, record?.costUsd.mean]).toEqual([1, 9]);
  });

  // What a user lost: after `gigafactory routing rebuild` on a product with more than REBUILD_CHUNK runs, factory f
  // read ~$10.5 a run for a class whose runs cost $4 and $9 (true mean $6.5) — the late run's raise counted into a
  // record that did not hold it yet, and the run counted again at its raised cost by the next chunk; the router's
  // costFit and the fleet card kept it until the next rebuild. Chunks are driven as the Worker drives them: the
  // first chunk holds the runs that started earlier (here S), the next the late run R as D1 has it when read.
  it.each([
    ["between the chunks, R's chunk read from D1 after it", "between", "raised"],
    ["between the chunks, R's chunk read from D1 before it got there", "between", "stale"],
    ["after R's chunk", "after", "stale"],
  ] as const)("a late raise landing %s leaves the record a rebuild from D1 gives", async (_, when, read) => {
    const product = `r2-rebuild-${when}-${read}`;
    const put = await api("PUT", `${P(product)}/budget`, {
      token: ADMIN,
      json: { period: "day", ceilingUsd: 100, onExhausted: "pause" },
    });
    expect(put.status).toBe(200);
    const f = await enroll(product, "f");
    const ok = { outcome: "success", rc: 0, message: "green" };
    const s = await submit(product, { title: "S: cost 4", maxAttempts: 5 });
    const sLease = (await claim(product, f.token)).body;
    expect(sLease.job.id).toBe(s.id);
    const sEpoch = sLease.lease.leaseEpoch;
    expect((await patch(product, f.token, s.id, { leaseEpoch: sEpoch, stage: "building" })).status).toBe(200);
    const sDone = { leaseEpoch: sEpoch, stage: "testing", result: ok, insights: { costUsd: 4 } };
    expect((await patch(product, f.token, s.id, sDone)).status).toBe(200);
    const r = await submit(product, { title: "R: outlives its lease", maxAttempts: 5 });
    const rLease = (await claim(product, f.token)).body;
    expect(rLease.job.id).toBe(r.id);
    const epoch = rLease.lease.leaseEpoch;
    expect(
      (await patch(product, f.token, r.id, { leaseEpoch: epoch, stage: "building", insights: { costUsd: 1 } })).status,
    ).toBe(200);
    await expireLeaseNow(product, r.id);
    await runDurableObjectAlarm(env.COORDINATOR.getByName(product));
    expect((await getJob(product, r.id)).stage).toBe("queued"); // R closed `timeout` at $1, counted

    type D1Row = {
      jobId: string;
      leaseEpoch: number;
      factoryId: string;
      engine: string | null;
      startedAt: number;
      endedAt: number | null;
      outcome: string | null;
      costUsd: number | null;
    };
    const d1Run = async (jobId: string, cost: number) =>
      (
        await historyUntil<D1Row>(product, "runs", (rows) => rows[0]?.costUsd === cost && rows[0].endedAt !== null, {
          query: `&jobId=${jobId}`,
        })
      ).body.items[0] as D1Row;
    const asHistory = (row: D1Row) => ({
      jobId: row.jobId,
      leaseEpoch: row.leaseEpoch,
      factoryId: row.factoryId,
      engine: row.engine,
      startedAt: row.startedAt,
      endedAt: row.endedAt as number,
      outcome: row.outcome as "success",
      costUsd: row.costUsd,
    });
    const sRow = await d1Run(s.id, 4);
    const rStale = await d1Run(r.id, 1);

    const stub = env.COORDINATOR.getByName(product);
    const first = await unwrap(stub.rebuildTrackRecords(product, [asHistory(sRow)], true, "admin", undefined, "admin"));
    expect(first.counted).toBe(1);
    // R's agent's last report, fenced: R rises to $9 (and its D1 row with it, once its record ships).
    const raise = async () => {
      const late = { leaseEpoch: epoch, stage: "failed", result: { outcome: "failure" }, insights: { costUsd: 9 } };
      expect((await patch(product, f.token, r.id, late)).body.code).toBe("fenced");
      return d1Run(r.id, 9);
    };
    const rRaised = when === "between" ? await raise() : undefined;
    const rChunk = read === "raised" && rRaised ? rRaised : rStale;
    const next = await unwrap(
      stub.rebuildTrackRecords(product, [asHistory(rChunk)], false, "admin", first.rebuild, "admin"),
    );
    expect(next.counted).toBe(1);
    if (when === "after") await raise();
    const chunked = (await trackRecords(product, f.factoryId))[0]?.record;
    expect(chunked?.n).toBe(2);
    // A rebuild from the same D1 rows with no raise between its chunks: the record the history gives.
    const clean = await api("POST", `${P(product)}/routing/rebuild`, { token: ADMIN });
    expect(clean.status).toBe(200);
    const want = (await trackRecords(product, f.factoryId))[0]?.record;
    // $4 and $9, S's weight decayed over the real seconds between the two ends (~1e-6 a second): not exactly 6.5.
    expect(want?.costUsd.mean).toBeCloseTo(6.5, 4);
    expect(chunked?.costUsd.mean).toBeCloseTo(want?.costUsd.mean ?? Number.NaN, 6); // before: ≈ 10.5 (between)
  });
});
