// One error code has one exit code in both programs: every code the CLI (src/cli, src/shared) and the agent
// (src/agent, src/shared) both throw exits the same from each — the CLI's `config_invalid` and `config_unreadable`
// exited 1 where the agent's exit 2, though each is the program's own saved settings it cannot run with. A config
// file that is not JSON is refused by both real programs with exit 2, under --json too (cli/exit-codes USAGE_CODES
// lists them with the agent's EXIT.usage). `gigafactory-agent --help` names its exit codes and its error line, as
// `gigafactory --help` does (only the README did), and its --json error line carries the exitCode, as the CLI's
// error document does. Each program's --help says why a refused token (unauthorized, forbidden) exits 3 from the agent
// (a service manager must not restart it into the same refusal) and 1 from the CLI (a script reads the code). A file
// the CLI's command line names that it cannot read or take (`submit FILE`, `children ID FILE.json`: not there, a
// directory, not UTF-8 text, not JSON) exits 2, as the agent's --config it cannot take (not there, not JSON) does — it
// exited 1. So does an output path `artifact … -o FILE` cannot open (a directory not there, a file taken for one):
// `file_unwritable`, which exited 1; a disk that fails under the bytes (/dev/full) is `write_failed`, exit 1.
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { USAGE } from "../../src/agent/cli-args.ts";
import { EXIT } from "../../src/agent/close-codes.ts";
import { USAGE_CODES } from "../../src/cli/exit-codes.ts";
import { captureCli, connection, stubCoordinator } from "../support/cli-harness.ts";
import { thrownCodes } from "../support/thrown-codes.ts";
import { runAgent } from "./agent-process.ts";

const dir = mkdtempSync(path.join(tmpdir(), "gf-exit-agree-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("one code, one exit, in the CLI and the agent", () => {
  it("every code both programs throw exits the same from each", () => {
    const cli = thrownCodes("src/cli", "src/shared");
    const agent = thrownCodes("src/agent", "src/shared");
    const both = [...cli.keys()].filter((code) => agent.has(code));
    expect(both).toEqual(expect.arrayContaining(["config_invalid", "config_unreadable", "token_other_origin"]));
    const differ = both
      .filter((code) => [...new Set([...cli.get(code)!, ...agent.get(code)!])].length > 1)
      .map((code) => `${code}: CLI ${[...cli.get(code)!]}, agent ${[...agent.get(code)!]}`);
    expect(differ).toEqual([]);
    // Both tables say it: the agent's usage exit is the CLI's, and the shared codes it exits with are the CLI's 2s.
    expect(EXIT.usage).toBe(2);
    const agentTwos = both.filter((code) => agent.get(code)!.has(String(EXIT.usage)));
    expect(USAGE_CODES).toEqual(expect.arrayContaining(agentTwos));
  });

  it("a config file that is not JSON exits 2 from both, --json's exitCode too", async () => {
    const file = path.join(dir, "config.json");
    writeFileSync(file, "{not json", { mode: 0o600 });
    const cli = await captureCli(["jobs", "--json"], { env: { GIGAFACTORY_CONFIG: file } });
    expect(cli.code, cli.stderr).toBe(2);
    expect(JSON.parse(cli.stdout)).toMatchObject({ error: { code: "config_invalid", exitCode: 2 } });
    const agent = await runAgent(["run", "--config", file, "--state-dir", path.join(dir, "state")]);
    expect(agent.code, agent.out).toBe(2);
    expect(agent.stderr).toMatch(/^✘ ERROR config_invalid: /m);
    const json = await runAgent(["run", "--config", file, "--state-dir", path.join(dir, "state"), "--json"]);
    expect(json.code).toBe(2);
    const last = JSON.parse(json.out.trim().split("\n").at(-1) ?? "");
    expect(last).toMatchObject({ event: "error", code: "config_invalid", exitCode: 2 });
  });

  it("an input file the command line names that it cannot take exits 2 from both programs", async () => {
    expect(USAGE_CODES).toEqual(expect.arrayContaining(["file_unreadable", "file_not_utf8", "invalid_json"]));
    const conn = ["--url", "http://127.0.0.1:2", "--token", `gf_shop_${"A".repeat(43)}`];
    const latin1 = path.join(dir, "latin1.md");
    writeFileSync(latin1, Buffer.from("---\ntitle: caf\xe9\n---\n", "latin1"));
    const notJson = path.join(dir, "children.json");
    writeFileSync(notJson, "title: x");
    const missing = path.join(dir, "absent.md");
    const said: string[] = [];
    for (const argv of [
      ["submit", missing],
      ["submit", dir],
      ["submit", latin1],
      ["children", "job_1", notJson],
    ]) {
      const run = await captureCli([...argv, ...conn]);
      const json = await captureCli([...argv, ...conn, "--json"]);
      const doc = JSON.parse(json.stdout) as { error?: { exitCode: number } } | Array<{ error: { code: string } }>;
      const code = /^✘ ERROR (\w+):/.exec(run.stderr)?.[1];
      said.push(
        `${argv[0]} ${code} ${run.code} ${json.code} ${Array.isArray(doc) ? doc[0]?.error.code : doc.error?.exitCode}`,
      );
    }
    expect(said).toEqual([
      "submit file_unreadable 2 2 file_unreadable",
      "submit file_unreadable 2 2 file_unreadable",
      "submit file_not_utf8 2 2 file_not_utf8",
      "children invalid_json 2 2 2",
    ]);
    const agent = await runAgent([
      "run",
      "--config",
      path.join(dir, "absent.json"),
      "--state-dir",
      path.join(dir, "s2"),
    ]);
    expect([/^✘ ERROR (\w+):/m.exec(agent.stderr)?.[1], agent.code]).toEqual(["config_missing", 2]);
  });

  it("an -o path it cannot open exits 2; a disk that fails under the bytes exits 1 (write_failed)", async () => {
    expect(USAGE_CODES).toContain("file_unwritable");
    expect(USAGE_CODES).not.toContain("write_failed");
    const bytes = "log line\n";
    const { url } = await stubCoordinator((_req, reply) =>
      reply.text(200, bytes, "text/plain", { "x-content-sha256": createHash("sha256").update(bytes).digest("hex") }),
    );
    const said: string[] = [];
    const file = path.join(dir, "a-file");
    writeFileSync(file, "");
    // A directory that is not there, a file taken for one, and /dev/full (every write ENOSPC).
    for (const out of [path.join(dir, "absent", "run.log"), path.join(file, "run.log"), "/dev/full"]) {
      const run = await captureCli(["artifact", "job_1", "run.log", "-o", out, ...connection(url, "shop"), "--json"]);
      const { error } = JSON.parse(run.stdout) as { error: { code: string; exitCode: number } };
      said.push(`${error.code} ${run.code} ${error.exitCode}`);
    }
    expect(said).toEqual(["file_unwritable 2 2", "file_unwritable 2 2", "write_failed 1 1"]);
  });

  it("gigafactory-agent --help names each exit code of its EXIT table, and the error line", () => {
    const help = USAGE.replace(/\s+/g, " ");
    expect(help).toContain(
      `Exit codes: ${EXIT.ok} ok; ${EXIT.error} an operation failed (a refused or unreachable enrollment, …); ${EXIT.usage} a command line or config it cannot run with`,
    );
    expect(help).toMatch(new RegExp(`; ${EXIT.credentials} the factory's credentials are gone .*do not restart it`));
    expect(help).toContain("128 + its number");
    expect(help).toContain("`✘ ERROR code: what happened / how to fix it` on stderr; under --json");
  });

  it("each program's --help says why a refused token exits 3 from the agent and 1 from the CLI", async () => {
    const agent = USAGE.replace(/\s+/g, " ");
    expect(agent).toContain(
      "its token refused: unauthorized, forbidden): do not restart it (systemd: RestartPreventExitStatus=3)",
    );
    expect(agent).toContain(
      "`gigafactory` exits 1 for the same codes, as nothing restarts a command and a script reads its code",
    );
    const cli = (await captureCli(["--help"])).stdout.replace(/\s+/g, " ");
    expect(cli).toContain(
      "other errors exit 1 — a refused token too (`unauthorized`, `forbidden`): a script reads it by its code; `gigafactory-agent` exits 3 for its own, so its service manager does not restart it.",
    );
  });
});
