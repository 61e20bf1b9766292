// A URL that answers 2xx with something that is not JSON (a proxy's login page, another service on the port) is
// reported as `✘ ERROR bad_response` pointing at --url, exit 1 and nothing on stdout even with --json — not as an
// `internal` error that calls itself a CLI bug.
import { describe, expect, it } from "vitest";
import { captureCli, connection, stubCoordinator } from "../support/cli-harness.ts";

describe("an answer that is not JSON", () => {
  it("is bad_response naming --url, for reads and writes, with and without --json", async () => {
    const { url } = await stubCoordinator((_req, reply) => reply.text(200, "<html>Sign in</html>", "text/html"));
    for (const argv of [["jobs"], ["jobs", "--json"], ["job", "job_1", "--json"], ["cancel", "job_1"], ["settings"]]) {
      const r = await captureCli([...argv, ...connection(url, "shop")]);
      expect({ argv, code: r.code, stdout: r.stdout }).toEqual({ argv, code: 1, stdout: "" });
      expect(r.stderr).toMatch(
        /^✘ ERROR bad_response: the coordinator's answer is not JSON \(.+\) \/ check that --url/,
      );
      expect(r.stderr).not.toContain("CLI bug");
    }
  });
});
