// What a draining agent sends for a run it gives back is charged by the real coordinator in workerd, once: the
// `release` carries no insights; the job log's last batch, which follows it under the released lease's epoch with the
// run's cumulative insights (test/unit/agent-drain-spend), is refused `fenced` and still charged to the product budget
// (policies/late-spend) — only its increase over what the run's answered frames carried — and a resend of it charges
// nothing. The job stays queued, its attempt refunded, for another host.
import { describe, expect, it } from "vitest";
import type { BudgetView } from "../../src/shared/api-budget.ts";
import { inOneBudgetPeriod } from "../support/budget-period-run.ts";
import { ADMIN, api, enroll, getJob, P, submit } from "./client";
import { type AssignFrame, connectFactory } from "./sockets";

const spentUsd = async (product: string) =>
  (await api<BudgetView>("GET", `${P(product)}/budget`, { token: ADMIN })).body.spentUsd;

describe("a drained run's last spend", () => {
  it("after the release: refused fenced, its spend over the run's mark charged once, the job queued", () =>
    inOneBudgetPeriod(async (run) => {
      const product = run.product("drain-spend");
      const ceiling = { period: "day", ceilingUsd: 10, onExhausted: "pause" };
      expect((await api("PUT", `${P(product)}/budget`, { token: ADMIN, json: ceiling })).status).toBe(200);
      const f = await enroll(product, "f");
      const { socket } = await connectFactory(product, f.token);
      const job = await submit(product, { title: "drained" });
      const a = (await socket.next<AssignFrame>("assign")).assignments[0]!;
      const ref = { jobId: job.id, leaseEpoch: a.leaseEpoch };
      socket.send({ type: "progress", id: "1", ...ref, stage: "building", insights: { costUsd: 1, tokensIn: 100 } });
      await socket.answer("1");
      // As the agent drains: no new work for this factory, then the job given back.
      socket.send({ type: "drain", id: "d" });
      expect(await socket.answer("d")).toMatchObject({ type: "ack" });
      socket.send({ type: "release", id: "2", ...ref, reason: "draining" });
      expect(await socket.answer("2")).toMatchObject({ type: "ack" });
      expect(await spentUsd(product)).toBe(1);
      const last = {
        type: "progress" as const,
        ...ref,
        logs: [{ stream: "agent" as const, text: "engine exited (code 143) after 3.1s", at: Date.now() }],
        insights: { costUsd: 2.5, tokensIn: 250, tokensOut: 25 },
      };
      socket.send({ ...last, id: "3" });
      expect(await socket.answer("3")).toMatchObject({ type: "error", code: "fenced" });
      expect(await spentUsd(product)).toBe(2.5);
      socket.send({ ...last, id: "4" });
      expect(await socket.answer("4")).toMatchObject({ type: "error", code: "fenced" });
      expect(await spentUsd(product)).toBe(2.5);
      expect(await getJob(product, job.id)).toMatchObject({ stage: "queued", attempt: 0 });
      socket.close();
    }));
});
