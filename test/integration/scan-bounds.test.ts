// Every path that walks the queue examines a bounded number of due jobs among those it could run: an HTTP claim
// behind MAX_SCAN jobs of its own capability bucket that another hard filter refuses (here an exclusion of the
// claimant from each) stops there, as push dispatch does. Jobs behind a closed serial gate (frozen, or held by a
// running job) are not among them: the walk's query skips them (dispatch/urgency-order CURSOR_OPEN_GATES_SQL), so
// a fitting job behind a thousand of them is reached by a claim and by push dispatch alike — it waited for good
// (found by a reviewer). Jobs of buckets the claimant cannot run are not walked at all (queue-buckets.test.ts).
// The learned term's reference set reads one (engine, class) of track records by its index (track_records_by_key).
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { MAX_SCAN } from "../../src/durable-objects/coordinator/dispatch/urgency-order.ts";
import { RECORDS_OF_KEY_SQL } from "../../src/durable-objects/coordinator/policies/track-records.ts";
import { ADMIN, api, claim, enroll, P, submit, until } from "./client";
import { type AssignFrame, connectFactory } from "./sockets";
import { cloneQueued, queryPlan } from "./state";

/** `count` due jobs the claimant's capabilities fit, older than what follows, each refused to it by an exclusion. */
async function excluded(product: string, factoryId: string, count: number): Promise<void> {
  const seed = await submit(product, { title: "excluded", requires: ["os:linux"] });
  await cloneQueued(product, seed.id, count);
  await runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) => {
    state.storage.sql.exec(
      `INSERT INTO exclusions(job_id, factory_id, strikes, kind, at, until)
       SELECT id, ?1, 1, 'rejected', ?2, ?2 + 3600000 FROM jobs WHERE stage = 'queued'`,
      factoryId,
      Date.now(),
    );
  });
}

/** `count` due jobs the claimant's capabilities fit, older than what follows, behind a frozen serial gate. */
async function frozen(product: string, count: number): Promise<void> {
  const seed = await submit(product, { title: "gated", requires: ["os:linux"], serialKey: "deploy:prod" });
  const freeze = await api("POST", `${P(product)}/serial/deploy%3Aprod/freeze`, {
    token: ADMIN,
    json: { reason: "scan bound" },
  });
  expect(freeze.status).toBe(200);
  await cloneQueued(product, seed.id, count);
}

describe("scan bound", () => {
  it("HTTP claim examines at most MAX_SCAN due jobs of its buckets: a fitting job behind MAX_SCAN refused ones is not reached", async () => {
    const product = "scan-claim";
    const f = await enroll(product, "cpu-box", ["os:linux"]);
    await excluded(product, f.factoryId, MAX_SCAN);
    await submit(product, { title: "cpu job", requires: ["os:linux"] });
    // Without the bound, this claim would load and score all MAX_SCAN + 1 jobs and take the last one.
    expect((await claim(product, f.token)).status).toBe(204);
  });

  it("HTTP claim still finds a fitting job inside the bound", async () => {
    const product = "scan-claim-within";
    const f = await enroll(product, "cpu-box", ["os:linux"]);
    await excluded(product, f.factoryId, MAX_SCAN - 1);
    await submit(product, { title: "cpu job", requires: ["os:linux"] });
    const r = await claim(product, f.token);
    expect(r.status).toBe(200);
    expect(r.body.job).toMatchObject({ title: "cpu job" });
  });
});

describe("jobs behind a closed serial gate", () => {
  it("are skipped, not scanned: an HTTP claim reaches the fitting job behind 2 × MAX_SCAN of them", async () => {
    const product = "scan-frozen-claim";
    const f = await enroll(product, "cpu-box", ["os:linux"]);
    await frozen(product, 2 * MAX_SCAN);
    const job = await submit(product, { title: "cpu job", requires: ["os:linux"] });
    const r = await claim(product, f.token);
    expect(r.status).toBe(200);
    expect(r.body.job.id).toBe(job.id);
  });

  it("push dispatch assigns the fitting job behind them too", async () => {
    const product = "scan-frozen-push";
    await frozen(product, MAX_SCAN);
    const f = await enroll(product, "box", ["os:linux"], 2);
    const { socket } = await connectFactory(product, f.token, { capabilities: ["os:linux"] });
    const job = await submit(product, { title: "free job", requires: ["os:linux"] });
    const assign = await socket.next<AssignFrame>("assign");
    expect(assign.assignments.map((a) => a.job.id)).toEqual([job.id]);
    const reason = await until(
      () => api<{ waitingReason: { code: string } }>("GET", `${P(product)}/jobs/job_clone_00001`, { token: ADMIN }),
      (r) => r.body.waitingReason !== undefined,
    );
    expect(reason.body.waitingReason.code).toBe("serial_key_frozen");
    socket.close();
  });
});

describe("the learned term's reference set", () => {
  it("reads one (engine, class) by its index, not a scan of every track record", async () => {
    const product = "track-plan";
    await submit(product, { title: "binds the coordinator" });
    const plan = await runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) =>
      queryPlan(state.storage.sql, RECORDS_OF_KEY_SQL, "codex", "rust"),
    );
    expect(plan).toMatch(/SEARCH track_records USING INDEX track_records_by_key \(engine=\? AND job_class=\?\)/);
  });
});
