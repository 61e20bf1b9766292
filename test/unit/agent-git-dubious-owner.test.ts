// A git error names its cause: git prints why first ("detected dubious ownership in repository at …") and what
// followed from it last ("Could not read from remote repository…"); the agent kept only the last three lines, so a
// root agent whose engine user could not clone a root-owned local repo said only that the remote could not be read.
// Now the first fatal line leads, with the fix that works on this host. Real git, real user (`nobody`, root only)
// for the clone; `gitReason` alone on git's exact output.
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { engineHome, lookupUser, type RunAs } from "../../src/agent/engine-user.ts";
import { gitReason } from "../../src/agent/git-message.ts";
import { prepareWorkspace } from "../../src/agent/workspace.ts";
import type { Job } from "../../src/core/model.ts";
import { originRepo } from "./agent-git-fixture.ts";

const root = mkdtempSync(path.join(tmpdir(), "gf-agent-dubious-"));
chmodSync(root, 0o755);
afterAll(() => rmSync(root, { recursive: true, force: true }));
const isRoot = process.getuid?.() === 0;

const DUBIOUS_CLONE = `fatal: detected dubious ownership in repository at '/srv/git/app/.git'
To add an exception for this directory, call:

\tgit config --global --add safe.directory /srv/git/app/.git
fatal: Could not read from remote repository.

Please make sure you have the correct access rights
and the repository exists.
`;

describe("a git error's reason", () => {
  it("leads with git's first fatal line, then its last lines, and says how to trust the repository", () => {
    const why = gitReason(DUBIOUS_CLONE);
    expect(why.startsWith("fatal: detected dubious ownership in repository at '/srv/git/app/.git' … ")).toBe(true);
    expect(why).toContain("fatal: Could not read from remote repository.");
    expect(why).toContain("git config --system --add safe.directory /srv/git/app/.git");
  });

  it("is git's last lines alone when they hold its fatal line, progress meters dropped", () => {
    expect(gitReason("Receiving objects: 10%\rReceiving objects: 90%\rfatal: the remote hung up\n")).toBe(
      "Receiving objects: 10% Receiving objects: 90% fatal: the remote hung up",
    );
    expect(gitReason("")).toBe("");
  });
});

describe.skipIf(!isRoot)("a root-owned local repo cloned as the engine user", () => {
  it("fails naming the ownership, not an unreadable remote, with the fix", async () => {
    const user = lookupUser("nobody") as RunAs;
    const workDir = path.join(root, "work");
    mkdirSync(workDir, { recursive: true, mode: 0o755 });
    const owner = { ...user, home: engineHome(user, workDir) };
    const origin = originRepo(path.join(root, "origin")); // root's, readable by all
    const job = { id: "job_dubious", title: "t", attempt: 1, leaseEpoch: 1, budget: {}, repo: origin } as Job;
    const opts = { workDir, checkpointRemote: path.join(workDir, "cp.git"), owner, allowLocalRepos: true };
    const err = await prepareWorkspace(job, opts).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err?.message).toMatch(/fatal: detected dubious ownership in repository at '[^']+' … /);
    expect(err?.message).toContain("git config --system --add safe.directory");
  });
});
