// `gigafactory requeue ID --budget-usd N | --budget-tokens N` over a real local socket: the raise travels in the
// requeue's body, checked by the real ActionBody schema; a coordinator's refusal of a job that spent its own budget is
// one `✘ ERROR budget_exceeded: <what it spent> / <how to raise it>` line (exit 1); a malformed amount is a usage
// error that sends nothing (exit 2), and the flags belong to requeue alone.
import { describe, expect, it } from "vitest";
import { ActionBody } from "../../src/shared/api.ts";
import { captureCli, connection, stubCoordinator } from "../support/cli-harness.ts";

const SPENT = "job J1 has spent $9.00, not below its budget of $3.00: requeued, it would fail budget_exceeded";

/** A stand-in that refuses a requeue without a raise above $9 spent, as the coordinator does. */
async function coordinator() {
  const bodies: unknown[] = [];
  const { url, lines } = await stubCoordinator((req, reply) => {
    bodies.push(req.body);
    const parsed = ActionBody.safeParse(req.body);
    if (!parsed.success) {
      return reply.problem(400, { title: "bad", detail: parsed.error.issues[0]!.message, code: "validation_failed" });
    }
    if ((parsed.data.budgetUsd ?? 0) <= 9) {
      return reply.problem(409, { title: "Over the job's budget", detail: SPENT, code: "budget_exceeded" });
    }
    return reply.json(200, { id: "J1", stage: "queued", budget: { usd: parsed.data.budgetUsd } });
  });
  return { url, lines, bodies };
}

describe("gigafactory requeue with a budget raise", () => {
  it("sends --budget-usd and --budget-tokens in the requeue's body", async () => {
    const { url, lines, bodies } = await coordinator();
    const r = await captureCli([
      "requeue",
      "J1",
      "--budget-usd",
      "12.5",
      "--budget-tokens",
      "5000",
      ...connection(url, "shop"),
    ]);
    expect(r.code).toBe(0);
    expect(lines).toEqual(["POST /api/v1/products/shop/jobs/J1/actions/requeue"]);
    expect(bodies).toEqual([{ budgetUsd: 12.5, budgetTokens: 5000 }]);
    expect(r.stdout).toContain("✔ requeue: job J1 is now queued");
  });

  it("prints the refusal of a job over its budget as one readable line saying how to raise it", async () => {
    const { url } = await coordinator();
    const r = await captureCli(["requeue", "J1", ...connection(url, "shop")]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(
      `✘ ERROR budget_exceeded: ${SPENT} / raise the job's budget above what it spent with the requeue ` +
        "(`gigafactory requeue ID --budget-usd N` or --budget-tokens N)",
    );
  });

  it("refuses a malformed amount, and the flags on any other action, before sending anything", async () => {
    const { url, lines } = await coordinator();
    // 0x10 and 0b11 are numbers to Number() ($16, $3), not the decimal amount a person types.
    // 0.0000001 is under the API's micro-dollar floor: "above 0" let it through to a 400 (said here, in its bounds).
    for (const bad of ["0", "-2", "ten", "100001", "0x10", "0b11", "", "0.0000001"]) {
      const r = await captureCli(["requeue", "J1", "--budget-usd", bad, ...connection(url, "shop")]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(
        /^✘ ERROR usage: --budget-usd must be a number of dollars from 0\.000001 \(a micro-dollar\) to 100000/,
      );
    }
    const tokens = await captureCli(["requeue", "J1", "--budget-tokens", "1.5", ...connection(url, "shop")]);
    expect(tokens.code).toBe(2);
    const cancel = await captureCli(["cancel", "J1", "--budget-usd", "5", ...connection(url, "shop")]);
    expect(cancel.code).toBe(2);
    expect(lines).toEqual([]);
  });
});
