// What the agent sends when it abandons a run (agent/seat-lease `reportSpend`) is charged by the real coordinator in
// workerd: after an operator's cancel, the run's last `progress` — insights only, the cumulative spend of its engine
// since its last accepted report, under the cancelled lease's epoch — is refused `fenced` and still charged to the
// product budget (policies/late-spend), only its increase over what the run had reported; the `stopped` that follows
// it is acknowledged, and a resend of that progress charges nothing. The job stays cancelled.
import { describe, expect, it } from "vitest";
import type { BudgetView } from "../../src/shared/api-budget.ts";
import { inOneBudgetPeriod } from "../support/budget-period-run.ts";
import { ADMIN, api, enroll, getJob, P, submit } from "./client";
import { type AssignFrame, connectFactory } from "./sockets";

const spentUsd = async (product: string) =>
  (await api<BudgetView>("GET", `${P(product)}/budget`, { token: ADMIN })).body.spentUsd;

describe("an abandoned run's last progress", () => {
  it("after a cancel: refused fenced, its spend over the run's mark charged once, then `stopped` acknowledged", () =>
    inOneBudgetPeriod(async (run) => {
      const product = run.product("abandoned-spend");
      const ceiling = { period: "day", ceilingUsd: 10, onExhausted: "pause" };
      expect((await api("PUT", `${P(product)}/budget`, { token: ADMIN, json: ceiling })).status).toBe(200);
      const f = await enroll(product, "f");
      const { socket } = await connectFactory(product, f.token);
      const job = await submit(product, { title: "abandoned" });
      const a = (await socket.next<AssignFrame>("assign")).assignments[0]!;
      const ref = { jobId: job.id, leaseEpoch: a.leaseEpoch };
      socket.send({ type: "progress", id: "1", ...ref, stage: "building", insights: { costUsd: 1, tokensIn: 100 } });
      await socket.answer("1");
      const cancel = await api("POST", `${P(product)}/jobs/${job.id}/actions/cancel`, { token: ADMIN, json: {} });
      expect(cancel.status).toBe(200);
      await socket.next("cancel");
      const last = { type: "progress" as const, ...ref, insights: { costUsd: 2.5, tokensIn: 250, tokensOut: 25 } };
      socket.send({ ...last, id: "2" });
      expect(await socket.answer("2")).toMatchObject({ type: "error", code: "fenced" });
      expect(await spentUsd(product)).toBe(2.5);
      socket.send({ type: "stopped", id: "3", ...ref });
      expect(await socket.answer("3")).toMatchObject({ type: "ack" });
      socket.send({ ...last, id: "4" });
      expect(await socket.answer("4")).toMatchObject({ type: "error", code: "fenced" });
      expect(await spentUsd(product)).toBe(2.5);
      expect((await getJob(product, job.id)).stage).toBe("cancelled");
      socket.close();
    }));
});
