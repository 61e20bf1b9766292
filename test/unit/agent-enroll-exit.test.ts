// `gigafactory-agent enroll` exit codes, from a real process against a stand-in coordinator: a refused or failed
// enrollment is a runtime error (1), with its `✘ ERROR` line; 2 stays for a command line that cannot run.
import { beforeAll, describe, expect, it } from "vitest";
import { enrollStandIn, problem } from "./agent-enroll-fixture.ts";
import { runAgent } from "./agent-process.ts";

// Every request is refused as a used enrollment code is: 401 problem+json.
const stand = enrollStandIn("gf-agent-enroll-", () => problem(401, "unauthorized", "code already used"));
const { dir } = stand;
let url = "";
beforeAll(() => {
  url = stand.url;
});

describe("gigafactory-agent enroll exit codes", () => {
  it("exits 1 (not 2, which is for usage) when the coordinator refuses the code", async () => {
    const r = await runAgent([
      "enroll",
      "--url",
      url,
      "--product",
      "p",
      "--code",
      `gfe_p_${"U".repeat(43)}`,
      "--state-dir",
      dir,
    ]);
    expect(r.stderr).toContain("✘ ERROR enroll_refused");
    expect(r.code).toBe(1);
  });

  it("still exits 2 for a command line it cannot run", async () => {
    const r = await runAgent(["enroll", "--product", "p", "--code", "gfe_x", "--state-dir", dir]);
    expect(r.stderr).toContain("✘ ERROR usage");
    expect(r.code).toBe(2);
  });
});
