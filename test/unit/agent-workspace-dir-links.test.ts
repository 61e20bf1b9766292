// The agent's dirs in the work dir (`jobs`, `kept`, `trash`, `mirrors`) as a start finds them (agent/work-dirs): one
// an engine of an earlier run replaced with a link — `trash` → a home dir, which the agent's emptying of "trash"
// deleted; `jobs` → the state dir — is refused with `✘ ERROR work_dir_link: … / remove the link …` and exit 2, and
// neither the link nor what it leads to is touched (never followed: no mkdir, no chmod there). So is a work dir that
// is itself a link, one whose agent dir is a file, and one whose real path lies in the state dir. Missing dirs are
// made, and the agent goes on with the work dir's real path. Unit checks, and a real agent process for the refusal.
import {
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { onRealWorkDir, prepareWorkDirs, WORK_SUBDIRS } from "../../src/agent/work-dirs.ts";
import { errorLine, FixableError } from "../../src/shared/fixable-error.ts";
import { offlineRunArgs, startAgent } from "./agent-process.ts";

const root = realpathSync(mkdtempSync(path.join(tmpdir(), "gf-work-dir-links-")));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A directory standing for one the engine wants destroyed (a home dir), with a file and a known mode. */
function precious(name: string): string {
  const dir = path.join(root, name, "home");
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(path.join(dir, "thesis.tex"), "years of work\n");
  return dir;
}

/** What `prepareWorkDirs` threw, as its ✘ ERROR line, with its exit code; "ok" when it did not throw. */
function refusal(work: string, state: string): { line: string; exit?: number } {
  try {
    prepareWorkDirs(work, state);
    return { line: "ok" };
  } catch (err) {
    expect(err).toBeInstanceOf(FixableError);
    return { line: errorLine(err as FixableError), exit: (err as FixableError).exitCode };
  }
}

describe("the work dir at start", () => {
  it("makes the work dir and its jobs, kept, trash and mirrors, and answers its real path", () => {
    const real = path.join(root, "fresh", "real");
    mkdirSync(real, { recursive: true });
    symlinkSync(real, path.join(root, "fresh", "via")); // a link on the way (the operator's): followed once, here
    const work = prepareWorkDirs(path.join(root, "fresh", "via", "w"), path.join(root, "fresh", "state"));
    expect(work).toBe(path.join(real, "w"));
    for (const name of WORK_SUBDIRS) expect(lstatSync(path.join(work, name)).isDirectory(), name).toBe(true);
    expect(prepareWorkDirs(work, path.join(root, "fresh", "state"))).toBe(work); // again: as it is
  });

  it("refuses each of jobs, kept, trash and mirrors that is a link, leaving the link and its target alone", () => {
    for (const name of WORK_SUBDIRS) {
      const home = precious(`sub-${name}`);
      const work = path.join(root, `sub-${name}`, "w");
      mkdirSync(work);
      symlinkSync(home, path.join(work, name));
      const { line, exit } = refusal(work, path.join(root, `sub-${name}`, "state"));
      expect(line).toContain(`✘ ERROR work_dir_link: ${path.join(work, name)} is a symbolic link (to ${home})`);
      expect(line).toContain(`/ remove the link (\`rm ${path.join(work, name)}\``);
      expect(exit).toBe(2);
      expect(lstatSync(path.join(work, name)).isSymbolicLink()).toBe(true);
      expect(readFileSync(path.join(home, "thesis.tex"), "utf8")).toBe("years of work\n");
      expect(lstatSync(home).mode & 0o777).toBe(0o700); // never made 0755 as the agent's shared dirs are
      for (const other of WORK_SUBDIRS)
        expect(lstatSync(path.join(home, other), { throwIfNoEntry: false })).toBe(undefined);
    }
  });

  it("refuses a work dir that is itself a link, naming its real path as the fix", () => {
    const home = precious("self");
    const work = path.join(root, "self", "w");
    symlinkSync(home, work);
    const { line } = refusal(work, path.join(root, "self", "state"));
    expect(line).toMatch(/^✘ ERROR work_dir_link: .+\/self\/w is a symbolic link .+ pass its real path as --work-dir$/);
    for (const name of WORK_SUBDIRS)
      expect(lstatSync(path.join(home, name), { throwIfNoEntry: false })).toBe(undefined);
  });

  it("refuses an agent dir that is a file, and a work dir whose real path is in the state dir", () => {
    const work = path.join(root, "file", "w");
    mkdirSync(work, { recursive: true });
    writeFileSync(path.join(work, "trash"), "");
    expect(refusal(work, path.join(root, "file", "state")).line).toMatch(
      /^✘ ERROR work_dir_unusable: cannot use .+\/trash as the agent's work dir: it is not a directory \//,
    );
    const state = path.join(root, "inside", "state");
    mkdirSync(state, { recursive: true, mode: 0o700 });
    symlinkSync(state, path.join(root, "inside", "link"));
    const { line } = refusal(path.join(root, "inside", "link", "w"), state);
    expect(line).toMatch(
      /^✘ ERROR work_dir_in_state_dir: the work dir .+ \(really .+\/inside\/state\/w\) and the state/,
    );
    expect(lstatSync(path.join(state, "w"), { throwIfNoEntry: false })).toBe(undefined);
  });

  it("moves the default checkpoint remote to the real path with the work dir, and leaves one elsewhere", () => {
    const real = path.join(root, "remote", "real");
    mkdirSync(real, { recursive: true });
    symlinkSync(real, path.join(root, "remote", "via"));
    const workDir = path.join(root, "remote", "via", "w");
    const state = path.join(root, "remote", "state");
    const cfg = onRealWorkDir({ workDir, stateDir: state, checkpointRemote: path.join(workDir, "checkpoints.git") });
    expect(cfg).toEqual({
      workDir: path.join(real, "w"),
      stateDir: state,
      checkpointRemote: path.join(real, "w", "checkpoints.git"),
    });
    const other = onRealWorkDir({ workDir, stateDir: state, checkpointRemote: "/srv/git/checkpoints.git" });
    expect(other.checkpointRemote).toBe("/srv/git/checkpoints.git");
  });
});

describe("gigafactory-agent run on a work dir an engine left a link in", () => {
  it("exits 2 with work_dir_link before it connects, and the link's target keeps its files", async () => {
    const home = precious("agent");
    const state = path.join(root, "agent", "state");
    const work = path.join(root, "agent", "work");
    mkdirSync(work, { recursive: true });
    symlinkSync(home, path.join(work, "trash"));
    const agent = startAgent([...offlineRunArgs(state), "--work-dir", work]);
    try {
      // Refused (it exits), or, unguarded, past the check (it says it is connecting): whichever comes first.
      while (agent.code() === undefined && !agent.out().includes("connecting"))
        await new Promise((r) => setTimeout(r, 20));
    } finally {
      await agent.stop();
    }
    expect(agent.out()).toContain(`✘ ERROR work_dir_link: ${path.join(work, "trash")} is a symbolic link (to ${home})`);
    expect(agent.out()).not.toContain("connecting");
    expect(agent.code()).toBe(2);
    expect(readFileSync(path.join(home, "thesis.tex"), "utf8")).toBe("years of work\n");
  });
});
