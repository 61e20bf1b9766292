// `gigafactory requeue|cancel|ship|approve|reject ID`: each action's help lists only the options it takes — `--reviewer`
// belongs to approve and reject, and `--note` is feedback for a rework on reject alone, an audit note elsewhere —
// and reject's help names every stage the coordinator accepts a reject in (core/review REJECTABLE: review, testing,
// and a running job), not "a job in review" only. Over a real local socket, `--reviewer` on requeue or cancel is a
// usage error that sends nothing, and `approve|reject --round N` sends the round read from `reviews ID` (the legacy
// endpoint fences the verdict to it as `POST …/reviews` does); `--round` on requeue is a usage error.
import { describe, expect, it } from "vitest";
import { jobActions } from "../../src/cli/commands/job-actions.ts";
import { commandHelp } from "../../src/cli/help.ts";
import { REJECTABLE } from "../../src/core/review.ts";
import { captureCli, connection, stubCoordinator } from "../support/cli-harness.ts";

const help = (action: string) => commandHelp(jobActions.find((c) => c.path[0] === action)!);

describe("job action help", () => {
  it("lists --reviewer for approve and reject only, and calls --note feedback on reject only", () => {
    for (const action of ["requeue", "cancel", "ship"]) {
      expect(help(action)).not.toContain("--reviewer");
      expect(help(action)).not.toMatch(/feedback|reject/);
    }
    for (const action of ["approve", "reject"]) expect(help(action)).toContain("--reviewer");
    for (const action of ["approve", "reject"]) expect(help(action)).toContain("--round ROUND");
    expect(help("requeue")).not.toContain("--round");
    expect(help("reject")).toMatch(/--note TEXT .*feedback/);
  });

  it("names every stage a reject works in", () => {
    const text = help("reject");
    for (const stage of REJECTABLE.filter((s) => s === "review" || s === "testing")) expect(text).toContain(stage);
    expect(text).toContain("still running"); // assigned, building
  });

  it("refuses --reviewer on requeue and cancel before sending anything", async () => {
    const stub = await stubCoordinator((_req, reply) => reply.json(200, { id: "J1", stage: "queued" }));
    for (const action of ["requeue", "cancel"]) {
      const r = await captureCli([action, "J1", "--reviewer", "bob", ...connection(stub.url, "shop")]);
      expect(r.code).toBe(2);
    }
    expect(stub.lines).toEqual([]);
  });

  it("sends --round with approve and reject to the legacy endpoint, and refuses it on requeue", async () => {
    const stub = await stubCoordinator((_req, reply) => reply.json(200, { id: "J1", stage: "testing" }));
    const on = connection(stub.url, "shop");
    expect((await captureCli(["approve", "J1", "--round", "1699999000000", ...on])).code).toBe(0);
    expect((await captureCli(["reject", "J1", "--note", "redo", "--round", "7", ...on])).code).toBe(0);
    expect((await captureCli(["requeue", "J1", "--round", "7", ...on])).code).toBe(2);
    expect(stub.lines).toEqual([
      "POST /api/v1/products/shop/jobs/J1/actions/approve",
      "POST /api/v1/products/shop/jobs/J1/actions/reject",
    ]);
    expect(stub.bodies).toEqual([{ round: 1_699_999_000_000 }, { note: "redo", round: 7 }]);
  });
});
