// `gigafactory-agent --version` answers which agent this is, exit 0, as `gigafactory --version` does for the CLI
// (it was `✘ ERROR usage: unknown command "--version"`, exit 2); `--json` makes it one JSON document.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { runAgent } from "./agent-process.ts";

const { version } = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
  version: string;
};

describe("gigafactory-agent --version", () => {
  it("prints the agent's name and version, exit 0", async () => {
    const r = await runAgent(["--version"]);
    expect(r).toEqual({ code: 0, out: `gigafactory-agent ${version}\n`, stderr: "" });
  });

  it("under --json, one JSON document", async () => {
    const r = await runAgent(["--version", "--json"]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toEqual({ version });
  });
});
