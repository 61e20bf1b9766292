// A resumed lease's tokens of unknown split, charged at the operator's prices against the real coordinator in workerd
// (core/prices `estimateUsd`, policies/estimate-spend): after an agent restart its fresh engine reports the run's
// earlier tokens folded into `tokensIn` as one sum (agent/run-usage `runUsage`), and says how many with `baseTokens`.
// Those are priced at the dearer (written) rate, so a run whose first engine read 400k and wrote 100k ($1.50) is
// charged at least that after the resume — red before: re-priced as read, $0.85 under its $1.50 high-water mark, the
// fresh engine's spend went uncharged; a report fenced after the lease was lost too. An older agent's report
// without the field reads as before. A report whose baseTokens exceed its tokensIn is refused — 400
// validation_failed over REST, an error frame over the socket — and changes nothing.
// The coordinator keeps the run's written part too (`run_spend.tokens_out`): the welcome's `runSpent` carries it, the
// agent folds the base by side and sends no baseTokens, so the resumed run is charged its true price ($1.725), not
// $5.225 — red before: no tokensOut in the welcome, all 500k priced as written. A row from before the column (its
// tokens_out unknown) sends none: the agent then says baseTokens, still erring high.
import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { runUsage } from "../../src/agent/run-usage.ts";
import type { ProductCoordinator } from "../../src/durable-objects/product-coordinator.ts";
import type { BudgetView } from "../../src/shared/api-budget.ts";
import type { Assignment } from "../../src/shared/protocol.ts";
import { inOneBudgetPeriod } from "../support/budget-period-run.ts";
import { ADMIN, api, claim, enroll, getJob, P, submit } from "./client";
import { type AssignFrame, connectFactory } from "./sockets";
import { expireLeaseNow } from "./state";

const budget = async (product: string) => (await api<BudgetView>("GET", `${P(product)}/budget`, { token: ADMIN })).body;
type Runs = { runs: Array<{ spend?: Record<string, number> }> };
const runSpend = async (product: string, jobId: string) =>
  (await api<Runs>("GET", `${P(product)}/jobs/${jobId}/runs`, { token: ADMIN })).body.runs.map((r) => r.spend);

/** A product with a $100 day budget and the default engine (`*`) priced as Codex: $1.25 read, $10 written. */
async function pricedProduct(product: string) {
  const set = { period: "day", ceilingUsd: 100, onExhausted: "pause" };
  expect((await api("PUT", `${P(product)}/budget`, { token: ADMIN, json: set })).status).toBe(200);
  const prices = { "*": { usdPerMillionIn: 1.25, usdPerMillionOut: 10 } };
  expect((await api("PATCH", `${P(product)}/settings`, { token: ADMIN, json: { prices } })).status).toBe(200);
}

/**
 * A run whose first engine read 400k and wrote 100k tokens with no USD ($1.50 at the price), then whose agent died and
 * came back: the welcome's lease, on a fresh socket. @returns the socket, the factory's token and the run's job id and
 * lease epoch
 */
async function resumedRun(product: string, beforeRestart?: (jobId: string) => Promise<void>) {
  await pricedProduct(product);
  const f = await enroll(product, "f");
  const { socket } = await connectFactory(product, f.token);
  const job = await submit(product, { title: "resumed" });
  const a = (await socket.next<AssignFrame>("assign")).assignments[0]!;
  const ref = { jobId: job.id, leaseEpoch: a.leaseEpoch };
  const first = { tokensIn: 400_000, tokensOut: 100_000, unpricedTokens: 500_000 };
  socket.send({ type: "progress", id: "1", ...ref, insights: first });
  await socket.next("ack");
  expect(await budget(product)).toMatchObject({ spentUsd: 1.5, estimatedUsd: 1.5 });
  socket.close(); // the agent process died, its engine with it
  await beforeRestart?.(job.id);
  const { socket: again, welcome } = await connectFactory(product, f.token);
  const runSpent = welcome.leases.find((l: Assignment) => l.job.id === job.id)?.runSpent;
  return { socket: again, token: f.token, ref, runSpent };
}

/** Make the run's `run_spend` row one from before the coordinator kept its written part: tokens_out unknown. */
async function forgetWrittenPart(product: string, jobId: string) {
  await runInDurableObject(env.COORDINATOR.getByName(product), async (_: ProductCoordinator, state) => {
    state.storage.sql.exec("UPDATE run_spend SET tokens_out = NULL WHERE job_id = ?", jobId);
  });
}

// The fresh engine's own 100k read and 10k written, on top of the earlier 500k: as agent/run-usage `runUsage` says it.
const resumedReport = { tokensIn: 600_000, tokensOut: 10_000, unpricedTokens: 610_000 };

describe("a resumed lease's earlier tokens at settings prices", () => {
  it("are priced by side, exactly, when the coordinator kept the run's written part (welcome runSpent.tokensOut)", () =>
    inOneBudgetPeriod(async (run) => {
      const product = run.product("priced-resumed-split");
      const { socket, ref, runSpent } = await resumedRun(product);
      expect(runSpent).toEqual({ usd: 0, tokens: 500_000, tokensOut: 100_000 });
      // The fresh engine's own 100k read and 10k written, as the real agent folds them onto the welcome's base.
      const insights = runUsage(runSpent, { tokensIn: 100_000, tokensOut: 10_000 });
      expect(insights).toEqual({ tokensIn: 500_000, tokensOut: 110_000, unpricedTokens: 610_000 }); // no baseTokens
      socket.send({ type: "progress", id: "2", ...ref, insights });
      expect(await socket.answer<{ type: string }>("2")).toMatchObject({ type: "ack" });
      // 500k read at $1.25 and 110k written at $10: $1.725, the true price — not $5.225 (the base all as written).
      expect(await budget(product)).toMatchObject({ spentUsd: 1.725, estimatedUsd: 1.725, unpricedTokens: 610_000 });
      socket.close();
    }));

  it("a run whose row predates the written part sends none: the agent says baseTokens, still erring high", () =>
    inOneBudgetPeriod(async (run) => {
      const product = run.product("priced-resumed-unsplit");
      const { socket, token, ref, runSpent } = await resumedRun(product, (id) => forgetWrittenPart(product, id));
      expect(runSpent).toEqual({ usd: 0, tokens: 500_000 });
      const insights = runUsage(runSpent, { tokensIn: 100_000, tokensOut: 10_000 });
      expect(insights).toMatchObject({ tokensIn: 600_000, tokensOut: 10_000, baseTokens: 500_000 });
      socket.send({ type: "progress", id: "2", ...ref, insights });
      expect(await socket.answer<{ type: string }>("2")).toMatchObject({ type: "ack" });
      expect(await budget(product)).toMatchObject({ spentUsd: 5.225, estimatedUsd: 5.225 });
      // A report whose split is unknown keeps the run's written part unknown: a later restart is not priced low.
      socket.close();
      const { socket: third, welcome } = await connectFactory(product, token);
      expect(welcome.leases.find((l: Assignment) => l.job.id === ref.jobId)?.runSpent).toEqual({
        usd: 0,
        tokens: 610_000,
      });
      third.close();
    }));

  it("are priced toward the written rate when the report says how many they are (baseTokens)", () =>
    inOneBudgetPeriod(async (run) => {
      const product = run.product("priced-resumed");
      const { socket, ref, runSpent } = await resumedRun(product, (id) => forgetWrittenPart(product, id));
      expect(runSpent).toEqual({ usd: 0, tokens: 500_000 });
      const insights = { ...resumedReport, baseTokens: 500_000 };
      socket.send({ type: "progress", id: "2", ...ref, insights });
      expect(await socket.answer<{ type: string }>("2")).toMatchObject({ type: "ack" });
      // The true cost is at most $1.725 (the earlier $1.50 and the fresh engine's $0.225): charged no less. The
      // earlier 500k at the written rate, $5, and the fresh engine's own split exactly.
      expect(await budget(product)).toMatchObject({ spentUsd: 5.225, estimatedUsd: 5.225, unpricedTokens: 610_000 });
      expect(await runSpend(product, ref.jobId)).toEqual([
        { usd: 0, tokens: 610_000, unpricedTokens: 610_000, estimatedUsd: 5.225 },
      ]);
      socket.close();
    }));

  it("so is a resumed run's report fenced after its lease was lost (charged late, policies/late-spend)", () =>
    inOneBudgetPeriod(async (run) => {
      const product = run.product("priced-resumed-fenced");
      const { socket, token, ref } = await resumedRun(product);
      socket.close();
      await expireLeaseNow(product, ref.jobId);
      await runDurableObjectAlarm(env.COORDINATOR.getByName(product));
      const late = {
        leaseEpoch: ref.leaseEpoch,
        stage: "building",
        insights: { ...resumedReport, baseTokens: 500_000 },
      };
      const answer = await api<{ code: string }>("PATCH", `${P(product)}/jobs/${ref.jobId}`, { token, json: late });
      expect(answer.body.code).toBe("fenced");
      expect(await budget(product)).toMatchObject({ spentUsd: 5.225, estimatedUsd: 5.225 });
    }));

  it("an older agent's report, with no baseTokens, is read as before", () =>
    inOneBudgetPeriod(async (run) => {
      const product = run.product("priced-resumed-older");
      const { socket, ref } = await resumedRun(product);
      socket.send({ type: "progress", id: "2", ...ref, insights: resumedReport });
      await socket.next("ack");
      // Re-priced as read: $0.85, under the run's $1.50 mark, so nothing more charged (the fault the field mends).
      expect(await budget(product)).toMatchObject({ spentUsd: 1.5, estimatedUsd: 1.5 });
      socket.close();
    }));

  it("a report with baseTokens over its tokensIn is refused and changes nothing, over REST and the socket", () =>
    inOneBudgetPeriod(async (run) => {
      const product = run.product("priced-resumed-refused");
      await pricedProduct(product);
      const f = await enroll(product, "f");
      const job = await submit(product, { title: "over" });
      const { lease } = (await claim(product, f.token)).body;
      const over = { tokensIn: 10_000, tokensOut: 5_000, unpricedTokens: 15_000, baseTokens: 10_001 };
      const before = await getJob(product, job.id);
      const json = { leaseEpoch: lease.leaseEpoch, stage: "building", insights: over };
      const refused = await api<{ code: string; detail: string }>("PATCH", `${P(product)}/jobs/${job.id}`, {
        token: f.token,
        json,
      });
      expect(refused.status).toBe(400);
      expect(refused.headers.get("content-type")).toContain("application/problem+json");
      expect(refused.body).toMatchObject({
        code: "validation_failed",
        detail: expect.stringContaining("at most tokensIn"),
      });
      // No tokensIn at all: none of it can be a base.
      const bare = { ...json, insights: { tokensOut: 5_000, baseTokens: 1 } };
      const refusedBare = await api<{ code: string }>("PATCH", `${P(product)}/jobs/${job.id}`, {
        token: f.token,
        json: bare,
      });
      expect(refusedBare.body.code).toBe("validation_failed");
      const { socket } = await connectFactory(product, f.token);
      socket.send({ type: "progress", id: "3", jobId: job.id, leaseEpoch: lease.leaseEpoch, insights: over });
      const error = await socket.answer<{ type: string; code: string; message: string }>("3");
      expect(error).toMatchObject({ type: "error", code: "validation_failed" });
      expect(error.message).toContain("baseTokens is part of tokensIn");
      expect(await getJob(product, job.id)).toEqual(before);
      expect(await budget(product)).toMatchObject({ spentUsd: 0, estimatedUsd: 0, unpricedTokens: 0 });
      expect(await runSpend(product, job.id)).toEqual([undefined]); // no spend reported: none
      socket.close();
    }));
});
