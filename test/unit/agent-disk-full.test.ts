// A host whose disk is full (its work dir: a repository's mirror does not fit) gives the job back (`reject`: no
// attempt spent, kept from this host, a host with room takes it), saying so with the fix, where it failed the job —
// and, taking the next job at once, failed every job it got in a second each until they were dead-lettered. What the
// clone wrote is gone again, and the mirrors no job uses (caches) are removed to make room. Real SeatRunner and git;
// the work dir on a tmpfs of 3 MiB (root only, where mount works).
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { SeatRunner } from "../../src/agent/seat-runner.ts";
import { artifactServer, assignment, FakeConnection, seatContext, tempAgent } from "./agent-fakes.ts";
import { originRepo } from "./agent-git-fixture.ts";

const root = mkdtempSync(path.join(tmpdir(), "gf-agent-disk-full-"));
const small = path.join(root, "small");
mkdirSync(small);
/** Whether a 3 MiB tmpfs could be mounted at `small` (root, and a kernel and container that allow it). */
const mounted = (() => {
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=3m", "tmpfs", small], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();
let rest: Awaited<ReturnType<typeof artifactServer>>;
beforeAll(async () => {
  rest = await artifactServer();
});
afterAll(async () => {
  await rest.close();
  if (mounted) execFileSync("umount", [small]);
  rmSync(root, { recursive: true, force: true });
});

it.runIf(mounted)(
  "a mirror that does not fit: the job is rejected as this host's problem, not failed",
  async () => {
    const repo = originRepo(path.join(root, "big-origin"), { "big.bin": "x" });
    writeFileSync(path.join(repo, "big.bin"), randomBytes(6 << 20)); // incompressible: no pack makes it fit
    execFileSync("git", ["-C", repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qam", "big"]);
    const workDir = path.join(small, "work");
    // A mirror no job uses, taking room: a cache, removed to make room (another repository's jobs need it).
    const other = originRepo(path.join(root, "other-origin"), { "other.bin": randomBytes(1 << 20).toString("base64") });
    mkdirSync(path.join(workDir, "mirrors"), { recursive: true });
    execFileSync("git", ["clone", "-q", "--bare", other, path.join(workDir, "mirrors", "other-0123456789ab.git")]);
    const agent = tempAgent(rest.url, {
      allowLocalRepos: true,
      workDir,
      checkpointRemote: path.join(workDir, "cp.git"),
    });
    try {
      const conn = new FakeConnection();
      await new SeatRunner(seatContext(conn, agent, rest.url), assignment("job_full", "", 1, { repo }), false).finished;
      expect(conn.finalReport("job_full")).toBeUndefined();
      const reject = conn.frames("reject")[0];
      expect(reject?.type === "reject" ? reject.reason : "").toMatch(
        /^no space left on this host \(work dir .*\): free space there/,
      );
      const said = agent.events.find((e) => e.event === "host.disk_full");
      expect(said?.message).toContain(workDir);
      expect(said?.message).toContain("removed 1 repository mirror no job used, to make room");
      // The clone's part is removed, not left to fill the disk; the unused mirror went to make room.
      expect(readdirSync(path.join(workDir, "mirrors"))).toEqual([]);
    } finally {
      agent.remove();
    }
  },
  60_000,
);

it("a job record that cannot be written before the engine starts (ENOSPC): rejected too, nothing run", async () => {
  const agent = tempAgent(rest.url);
  try {
    const conn = new FakeConnection();
    const ctx = seatContext(conn, agent, rest.url);
    ctx.records.write = () => {
      throw new Error("ENOSPC: no space left on device, write");
    };
    await new SeatRunner(ctx, assignment("job_nospace", "gf-sample-seconds: 30\n"), false).finished;
    expect(conn.finalReport("job_nospace")).toBeUndefined();
    const reject = conn.frames("reject")[0];
    expect(reject?.type === "reject" ? reject.reason : "").toMatch(/^no space left on this host .* ENOSPC/);
  } finally {
    agent.remove();
  }
});
