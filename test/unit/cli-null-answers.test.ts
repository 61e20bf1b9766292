// A 2xx answer of JSON `null` to a list the client unwraps (shared/http-client `listFactories`, `listEnrollmentCodes`,
// `listTokens`, `listRuns` read the list's field of the answer) is `✘ ERROR bad_response`, exit 1, for every command
// that reads one — `factories`, `factory drain NAME`, `enrollment-codes`, `tokens`, `job ID` — not a TypeError
// reported as `internal … this is a CLI bug` (the client read `.factories` of null before any check could see it).
import { describe, expect, it } from "vitest";
import { captureCli, connection, stubCoordinator } from "../support/cli-harness.ts";

const JOB = {
  id: "job_1",
  productId: "shop",
  stage: "queued",
  attempt: 0,
  manifest: { title: "t" },
  createdAt: 0,
  updatedAt: 0,
};

describe("a null answer to a list the client unwraps", () => {
  it("is bad_response, exit 1, not a CLI bug", async () => {
    const { url } = await stubCoordinator((req, reply) =>
      // The job itself answers well: only its runs (a list the client unwraps) are null.
      req.url.endsWith("/jobs/job_1") ? reply.json(200, JOB) : reply.json(200, null),
    );
    for (const argv of [
      ["factories"],
      ["factory", "drain", "box-1"],
      ["enrollment-codes"],
      ["tokens"],
      ["job", "job_1"],
    ]) {
      const r = await captureCli([...argv, ...connection(url, "shop", "gf_shop_x")]);
      expect({ argv, code: r.code, stdout: r.stdout }).toEqual({ argv, code: 1, stdout: "" });
      expect(r.stderr, argv.join(" ")).toMatch(/^✘ ERROR bad_response: /);
    }
  });
});
