// The empty git dir a checkpoint's staging makes in the temp dir (agent/neutral-dirs, for agent/embedded-repos'
// `check-ignore`) was left there for good when the agent was SIGKILLed mid-checkpoint: one more per killed checkpoint.
// Now each is named for the process that made it and the agent's start removes those of processes that are gone —
// here a real process that made one and was SIGKILLed, swept by a real agent's start (`run`, offline). What is not a
// killed agent's stays: a live process's dir, another user's, a link (never followed), an old-format one younger than
// a day, anything not so named.
import { type ChildProcess, spawn } from "node:child_process";
import {
  chownSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { lookupUser } from "../../src/agent/engine-user.ts";
import { sweepNeutralDirs, UNNAMED_STALE_MS } from "../../src/agent/neutral-dirs.ts";
import { offlineRunArgs, startAgent } from "./agent-process.ts";

const root = mkdtempSync(path.join(tmpdir(), "gf-agent-neutral-sweep-"));
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  rmSync(root, { recursive: true, force: true });
});

const MODULE = path.resolve(import.meta.dirname, "../../src/agent/neutral-dirs.ts");

/** Resolves once `check` holds: polls (a state to wait for, not a timed assertion). */
async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((r) => setTimeout(r, 20));
}

/** A process that made its neutral dir in `tmp` (as a checkpoint's staging does) and is still running: it and the dir. */
async function stagingProcess(tmp: string): Promise<{ child: ChildProcess; dir: string }> {
  const script = `import { neutralGitDir } from ${JSON.stringify(MODULE)}; process.stdout.write(neutralGitDir()); setInterval(() => {}, 1e9);`;
  const child = spawn(process.execPath, ["--input-type=module", "-e", script], {
    env: { ...process.env, TMPDIR: tmp },
    stdio: ["ignore", "pipe", "inherit"],
  });
  children.push(child);
  let dir = "";
  child.stdout?.setEncoding("utf8").on("data", (d: string) => {
    dir += d;
  });
  await until(() => dir !== "" && existsSync(dir));
  return { child, dir };
}

async function kill(child: ChildProcess): Promise<void> {
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGKILL");
  await exited;
}

describe("neutral git dirs left in the temp dir", () => {
  it("a SIGKILLed process's is removed at the agent's start; a live process's stays", async () => {
    const tmp = path.join(root, "tmp-start");
    mkdirSync(tmp);
    const killed = await stagingProcess(tmp);
    const live = await stagingProcess(tmp);
    expect(path.basename(killed.dir)).toMatch(new RegExp(`^gf-no-exclude-${killed.child.pid}-`));
    await kill(killed.child);
    const agent = startAgent(offlineRunArgs(path.join(root, "state")), { TMPDIR: tmp });
    try {
      await until(() => agent.out().includes("connecting to") || agent.code() !== undefined);
      expect(agent.out()).toContain("connecting to");
      expect(existsSync(killed.dir)).toBe(false);
      expect(existsSync(path.join(live.dir, "HEAD"))).toBe(true);
    } finally {
      await agent.stop("SIGINT");
      await kill(live.child);
    }
  });

  it("only this user's own directories of that name are swept, never followed", async () => {
    const tmp = path.join(root, "tmp-kinds");
    mkdirSync(tmp);
    const gone = await stagingProcess(tmp);
    await kill(gone.child);
    const now = Date.now();
    const make = (name: string, ageMs = 0) => {
      const dir = path.join(tmp, name);
      mkdirSync(dir);
      writeFileSync(path.join(dir, "HEAD"), "ref: refs/heads/none\n");
      const t = (now - ageMs) / 1000;
      utimesSync(dir, t, t);
      return dir;
    };
    const oldFormatStale = make("gf-no-exclude-AbC123", UNNAMED_STALE_MS + 60_000);
    const oldFormatYoung = make("gf-no-exclude-XyZ789", 60_000);
    const notOurs = make("gf-something-else-1-abcdef", UNNAMED_STALE_MS * 2);
    const target = make("target-of-link");
    const link = path.join(tmp, `gf-no-exclude-${gone.child.pid}-linkkk`);
    symlinkSync(target, link);
    const nobody = process.getuid?.() === 0 ? lookupUser("nobody") : undefined;
    const othersDir = nobody ? make(`gf-no-exclude-${gone.child.pid}-others`) : undefined;
    if (othersDir && nobody) chownSync(othersDir, nobody.uid, nobody.gid);

    const removed = await sweepNeutralDirs(now, tmp);
    expect(removed.sort()).toEqual([gone.dir, oldFormatStale].sort());
    expect(existsSync(gone.dir)).toBe(false);
    expect(existsSync(oldFormatStale)).toBe(false);
    for (const kept of [oldFormatYoung, notOurs, target, ...(othersDir ? [othersDir] : [])])
      expect(existsSync(path.join(kept, "HEAD"))).toBe(true);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readdirSync(tmp).length).toBe(4 + (othersDir ? 1 : 0)); // the young one, the others, the link and its target
  });
});
