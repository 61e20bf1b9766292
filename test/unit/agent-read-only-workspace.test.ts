// A workspace an engine left with read-only directories (Go's module cache under the workspace is made read-only on
// purpose; a build may `chmod -w` its fixtures) is removed all the same when the agent is the engine's user (no
// root; the bubblewrap sandbox). The owner cannot unlink what a directory without its write bit holds: before, the
// removal failed with EACCES, and every later preparation of the job on the host failed on the leftover ("could not
// prepare the workspace: EACCES"), while a discard left it on disk for good. Real git in a temp dir; the agent's side
// runs in a child process as `nobody` when the tests run as root (root is not stopped by permissions).
import { execFileSync, spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { nobodyDir } from "../support/as-nobody.ts";

const { root, asNobody: nobody } = nobodyDir("gf-agent-read-only-");

const src = (f: string) => JSON.stringify(path.resolve("src/agent", f));
// The agent's side: a job prepared, its engine's read-only tree, the job prepared again, then discarded.
const driver = path.join(root, "driver.ts");
writeFileSync(
  driver,
  `import { chmodSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { discardWorkspace, prepareWorkspace } from ${src("workspace.ts")};
const root = process.argv[2];
const host = { workDir: path.join(root, "w"), checkpointRemote: path.join(root, "cp.git"), allowLocalRepos: true };
/** What \`go mod download\` with GOMODCACHE in the workspace leaves: directories with no write bit. */
function readOnlyTree(dir) {
  const mod = path.join(dir, ".gomodcache", "example.com", "pkg@v1.0.0");
  mkdirSync(mod, { recursive: true });
  writeFileSync(path.join(mod, "go.mod"), "module example.com/pkg\\n");
  for (let d = mod; d !== dir; d = path.dirname(d)) chmodSync(d, 0o555);
}
const result = {};
for (const [kind, repo] of [["scratch", undefined], ["repo", process.argv[3]]]) {
  const job = { id: "job_ro_" + kind, title: "t", bodyMd: "", attempt: 1, leaseEpoch: 1, budget: {}, repo };
  readOnlyTree((await prepareWorkspace(job, host)).dir);
  let again;
  try {
    again = await prepareWorkspace({ ...job, attempt: 2, leaseEpoch: 2 }, host);
  } catch (err) {
    result[kind] = "prepare failed: " + err.message;
    continue;
  }
  const fresh = !existsSync(path.join(again.dir, ".gomodcache"));
  readOnlyTree(again.dir);
  await discardWorkspace(again);
  result[kind] = { fresh, discarded: !existsSync(again.dir) };
}
console.log(JSON.stringify(result));
`,
);

describe("a workspace with read-only directories, the agent being the engine's user", () => {
  it("is replaced by the job's next preparation, and a discard removes it", () => {
    const origin = path.join(root, "origin");
    execFileSync("git", ["init", "-q", "-b", "main", origin]);
    writeFileSync(path.join(origin, "f"), "f\n");
    execFileSync("git", ["-C", origin, "add", "f"]);
    execFileSync("git", ["-C", origin, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "base"]);
    if (nobody.uid !== undefined) execFileSync("chown", ["-R", `${nobody.uid}:${nobody.gid}`, origin]);
    const run = spawnSync(process.execPath, [driver, root, origin], { ...nobody, cwd: root, encoding: "utf8" });
    expect(run.stderr).toBe("");
    const done = { fresh: true, discarded: true };
    expect(JSON.parse(run.stdout)).toEqual({ scratch: done, repo: done });
  });
});
