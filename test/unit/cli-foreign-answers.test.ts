// A read command whose URL answers 2xx JSON of another shape — another service's `{"ok": true}`, a coordinator of
// another version, a field of the wrong type — fails `✘ ERROR bad_response` naming the first field it cannot read,
// exit 1, nothing on stdout (under --json only the error document); it crashed as `✘ ERROR internal: page.jobs is
// not iterable / this is a CLI bug` or printed `queue version undefined` with exit 0. A well-formed answer with fields
// the CLI does not know still shows, and --json prints it whole (the check strips nothing).
import { describe, expect, it } from "vitest";
import { captureCli, connection, stubCoordinator } from "../support/cli-harness.ts";

/** Every read command of the CLI's read family, with the arguments it needs. */
const READS = [
  ["jobs"],
  ["jobs", "--all"],
  ["job", "job_1"],
  ["history"],
  ["history", "--kind", "runs"],
  ["metrics"],
  ["stats"],
  ["budget"],
  ["queue-state"],
  ["factories"],
  ["dead-letters"],
  ["artifacts", "job_1"],
  ["budget", "set", "day", "5"],
  ["dead-letters", "redrive", "dl_1"],
  ["factory", "rotate", "fac_1"], // its headline was built from the answer before the answer was checked
];

describe("a JSON answer that is not what the command reads", () => {
  it("is bad_response naming the field, never a CLI bug or `undefined`, for every read command", async () => {
    const { url } = await stubCoordinator((_req, reply) => reply.json(200, { ok: true }));
    for (const argv of READS) {
      const r = await captureCli([...argv, ...connection(url, "shop")]);
      expect({ argv, code: r.code, stdout: r.stdout }).toEqual({ argv, code: 1, stdout: "" });
      expect(r.stderr).toMatch(
        /^✘ ERROR bad_response: the coordinator's answer is not .+ \(\w+: .+\) \/ check that --url/,
      );
      expect(r.stderr).not.toContain("CLI bug");
      const json = await captureCli([...argv, "--json", ...connection(url, "shop")]);
      expect({ argv, code: json.code, error: JSON.parse(json.stdout).error.code }).toEqual({
        argv,
        code: 1,
        error: "bad_response",
      });
    }
  });

  it("names the first field of the wrong type inside a list", async () => {
    const job = { id: "job_1", stage: "queued", priority: "high", title: 42, attempt: 0, maxAttempts: 3, createdAt: 0 };
    const { url } = await stubCoordinator((_req, reply) => reply.json(200, { jobs: [job] }));
    const r = await captureCli(["jobs", ...connection(url, "shop")]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^✘ ERROR bad_response: the coordinator's answer is not a page of jobs \(jobs\.0\.title: /,
    );
  });

  it("never sends the budget write when the budget it read first is not a budget", async () => {
    const stub = await stubCoordinator((_req, reply) => reply.json(200, { ok: true }));
    const r = await captureCli(["budget", "set", "day", "5", ...connection(stub.url, "shop")]);
    expect(r.code).toBe(1);
    expect(stub.lines).toEqual(["GET /api/v1/products/shop/budget"]);
  });
});

describe("an answer with fields this CLI does not know", () => {
  it("still shows, and --json prints it whole", async () => {
    const known = { id: "job_1", stage: "queued", priority: "high", title: "Fix login", attempt: 0, maxAttempts: 3 };
    const job = { ...known, createdAt: 0, waitingReason: null, fromTheFuture: { x: 1 } };
    const { url } = await stubCoordinator((_req, reply) => reply.json(200, { jobs: [job], newTopLevel: true }));
    const human = await captureCli(["jobs", ...connection(url, "shop")]);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain("Fix login");
    const json = await captureCli(["jobs", "--json", ...connection(url, "shop")]);
    expect(JSON.parse(json.stdout).jobs[0].fromTheFuture).toEqual({ x: 1 });
  });
});
