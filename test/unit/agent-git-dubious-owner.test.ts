// A git error names its cause: git prints why first ("detected dubious ownership in repository at …") and what
// followed from it last ("Could not read from remote repository…"); the agent kept only the last three lines, so a
// root agent whose engine user could not clone a root-owned local repo said only that the remote could not be read.
// Now the first fatal line leads, with the fix that works on this host. And such a repository — allowed by
// --allow-local-repos, named by the job — is cloned and fetched with exactly its path trusted (agent/local-trust).
// Real git, real user (`nobody`, root only) for the clones; `gitReason` alone on git's exact output.
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { engineHome, lookupUser, type RunAs } from "../../src/agent/engine-user.ts";
import { gitReason } from "../../src/agent/git-message.ts";
import { removeJobLeftovers } from "../../src/agent/job-leftovers.ts";
import { trustConfig, trustConfigFor, trustFileFor } from "../../src/agent/local-trust.ts";
import { jobDir, prepareWorkspace } from "../../src/agent/workspace.ts";
import type { Job } from "../../src/core/model.ts";
import { originRepo, sh } from "./agent-git-fixture.ts";

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

describe("the trust a local repo is read with", () => {
  it("names exactly the path and its .git, quoted as git reads it; never a pattern or a control character", () => {
    expect(trustConfig('/srv/a "b"\\c/')).toBe(
      '[safe]\n\tdirectory = "/srv/a \\"b\\"\\\\c/"\n\tdirectory = "/srv/a \\"b\\"\\\\c/.git"\n',
    );
    expect(trustConfig("/srv/*")).toBeUndefined();
    expect(trustConfig("/srv/a\nb")).toBeUndefined();
    expect(trustConfig("https://example.com/a.git")).toBeUndefined();
  });

  it("trusts the job's repository and the checkpoint remote together, each exactly; leaves out what it cannot say", () => {
    expect(trustConfigFor(["/srv/app", "/var/cp.git"])).toBe(
      '[safe]\n\tdirectory = "/srv/app"\n\tdirectory = "/srv/app/.git"\n\tdirectory = "/var/cp.git"\n\tdirectory = "/var/cp.git/.git"\n',
    );
    expect(trustConfigFor(["https://example.com/a.git", "/var/cp.git"])).toBe(trustConfig("/var/cp.git"));
    expect(trustConfigFor(["https://example.com/a.git", "/srv/*"])).toBeUndefined();
  });
});

it("a trust file a preparation killed mid-clone left goes with the job's other leftovers", async () => {
  const workDir = path.join(root, "leftovers");
  const file = trustFileFor(jobDir(workDir, "job_killed"));
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, trustConfig("/srv/app") as string);
  await removeJobLeftovers({ workDir, stateDir: path.join(root, "leftovers-state") }, "job_killed", 1);
  expect(existsSync(file)).toBe(false);
});

describe.skipIf(!isRoot)("a root-owned local repo read as the engine user", () => {
  const user = lookupUser("nobody") as RunAs;
  const workDir = path.join(root, "work");
  const host = () => {
    mkdirSync(workDir, { recursive: true, mode: 0o755 });
    const owner = { ...user, home: engineHome(user, workDir) };
    return { workDir, checkpointRemote: path.join(workDir, "cp.git"), owner, allowLocalRepos: true };
  };
  const job = (id: string, repo: string) => ({ id, title: "t", attempt: 1, leaseEpoch: 1, budget: {}, repo }) as Job;

  it("is cloned, then fetched, with exactly that repository trusted, and the trust file is gone after", async () => {
    const origin = originRepo(path.join(root, "origin")); // root's, readable by all
    const opts = host();
    const a = await prepareWorkspace(job("job_trust1", origin), opts);
    expect(a.base).toBe(sh(origin, "rev-parse", "main"));
    sh(origin, "commit", "-q", "--allow-empty", "-m", "second");
    const b = await prepareWorkspace(job("job_trust2", origin), opts); // the mirror is there: a fetch this time
    expect(b.base).toBe(sh(origin, "rev-parse", "main"));
    expect(readdirSync(path.join(workDir, "jobs")).filter((n) => n.endsWith(".gitconfig"))).toEqual([]);
  });

  it("one whose path trust cannot name exactly fails naming the ownership, not an unreadable remote, with the fix", async () => {
    const origin = originRepo(path.join(root, "star*repo"));
    const err = await prepareWorkspace(job("job_dubious", origin), host()).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err?.message).toMatch(/fatal: detected dubious ownership in repository at '[^']+' … /);
    expect(err?.message).toContain("git config --system --add safe.directory");
  });
});
