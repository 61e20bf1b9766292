// `gigafactory` on a Node too old to strip TypeScript types (bin/node-check) refuses with `✘ ERROR node_too_old` on
// stderr, exit 2 — and, when the command line asks for --json, the error document `{error: {code, message, fix,
// exitCode}}` on stdout as every other failure gives it: a script reading stdout got nothing at all. Without --json
// (or with it only after `--`) stdout stays empty. The old Node is played by overriding process.versions.node in a
// child process that then loads the real bin wrapper.
import { spawnSync } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";

const BIN = path.resolve(import.meta.dirname, "../../bin/gigafactory.mjs");

/** The wrapper run as on Node 20.1.0 with `argv`. */
function onOldNode(argv: string[]) {
  const script =
    `Object.defineProperty(process.versions, "node", { value: "20.1.0" });` +
    `process.argv = [process.argv[0], ${JSON.stringify(BIN)}, ...${JSON.stringify(argv)}];` +
    `await import(${JSON.stringify(BIN)});`;
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8", timeout: 30_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("gigafactory on a Node too old", () => {
  it("under --json, prints the error document on stdout as well as the line on stderr", () => {
    const r = onOldNode(["jobs", "--json"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^✘ ERROR node_too_old: gigafactory needs Node 22\.18 or newer, this is v20\.1\.0 \//);
    expect(JSON.parse(r.stdout)).toEqual({
      error: {
        code: "node_too_old",
        message: "gigafactory needs Node 22.18 or newer, this is v20.1.0",
        fix: "run it through `npx gigafactory` inside the gigafactory checkout (which uses its pinned Node 22), or install Node 22",
        exitCode: 2,
      },
    });
  });

  it("without --json (or with it after --), prints nothing on stdout", () => {
    for (const argv of [["jobs"], ["submit", "--", "--json"]]) {
      const r = onOldNode(argv);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe("");
      expect(r.stderr).toMatch(/^✘ ERROR node_too_old: /);
    }
  });
});
