// A job's leftovers (agent/job-leftovers: a workspace set aside in trash/, and whatever a crash left in trash/) are
// removed when an engine left read-only directories in them (Go's module cache is made read-only on purpose), the
// agent being the engine's user: the background removal failed with EACCES and the trees stayed in trash/ for good,
// retried (and failing) at every welcome. As agent-read-only-workspace does for preparation and discard; the agent's
// side runs in a child process as `nobody` when the tests run as root (root is not stopped by permissions).
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { nobodyDir } from "../support/as-nobody.ts";

const { root, asNobody: nobody } = nobodyDir("gf-agent-leftovers-ro-");

const src = (f: string) => JSON.stringify(path.resolve("src/agent", f));
const driver = path.join(root, "driver.ts");
writeFileSync(
  driver,
  `import { chmodSync, existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { emptyTrash, removeJobLeftovers, trashDir } from ${src("job-leftovers.ts")};
import { jobDir } from ${src("workspace.ts")};
const root = process.argv[2];
const places = { workDir: path.join(root, "w"), stateDir: path.join(root, "s") };
function readOnlyTree(dir) {
  const mod = path.join(dir, ".gomodcache", "example.com", "pkg@v1.0.0");
  mkdirSync(mod, { recursive: true });
  writeFileSync(path.join(mod, "go.mod"), "module example.com/pkg\\n");
  for (let d = mod; d !== dir; d = path.dirname(d)) chmodSync(d, 0o555);
}
/** Waits for trash/ to be empty (the removals run in the background): true once it is, false after 15 s. */
async function trashEmptied() {
  for (const until = Date.now() + 15_000; Date.now() < until; await new Promise((r) => setTimeout(r, 50)))
    if (readdirSync(trashDir(places.workDir)).length === 0) return true;
  return false;
}
const ws = jobDir(places.workDir, "job_ro");
readOnlyTree(ws);
await removeJobLeftovers(places, "job_ro", 1);
const leftovers = { workspaceGone: !existsSync(ws), trashEmptied: await trashEmptied() };
// What a crash cut short: a read-only tree already in trash/, emptied at the next welcome.
readOnlyTree(path.join(trashDir(places.workDir), "job_crashed-0000"));
emptyTrash(places);
console.log(JSON.stringify({ leftovers, crashed: { trashEmptied: await trashEmptied() } }));
`,
);

describe("a job's leftovers with read-only directories, the agent being the engine's user", () => {
  it("are removed from trash/, set aside now or by a crash before", () => {
    const run = spawnSync(process.execPath, [driver, root], { ...nobody, cwd: root, encoding: "utf8" });
    expect(run.stderr).toBe("");
    expect(JSON.parse(run.stdout)).toEqual({
      leftovers: { workspaceGone: true, trashEmptied: true },
      crashed: { trashEmptied: true },
    });
  });
});
