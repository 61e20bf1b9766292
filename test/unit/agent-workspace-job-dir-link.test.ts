// A job's directory (`jobs/<id>`) is removed and made afresh at each preparation (agent/fresh-job-dir `freshJobDir`). In
// the sandbox the engine is the agent's own user and can write `jobs/`: a link it planted between the removal and
// the `mkdir -p` was taken for the directory, and the job's repository was made — and its engine would run — wherever
// the link led. Now the directory is made exclusively (mkdir without -p fails on any entry there, a link included) and
// checked through a descriptor of its own; the preparation fails and the link's target is left as it was. The plant
// is made deterministic: agent/workspace-removal's removeWorkTree is wrapped to put the link in right after the
// removal. Kept out of the shared workers (vitest.unit.config.ts isolates a file whose text names `vi.spyOn`): its
// module mock must reach no other file.
import { existsSync, lstatSync, mkdirSync, readdirSync, symlinkSync } from "node:fs";
import path from "node:path";
import { describe, expect, it, vi } from "vitest";
import { jobDir, prepareWorkspace } from "../../src/agent/workspace.ts";
import { scratchHost } from "./agent-git-fixture.ts";

/** Set by the test: the link planted at `dir` (to `target`) right after the agent removed `dir`. */
const plant: { dir?: string; target?: string } = {};

vi.mock("../../src/agent/workspace-removal.ts", async (original) => {
  const real = await original<typeof import("../../src/agent/workspace-removal.ts")>();
  return {
    ...real,
    removeWorkTree: async (dir: string, as: Parameters<typeof real.removeWorkTree>[1]) => {
      await real.removeWorkTree(dir, as);
      if (dir !== plant.dir || !plant.target) return;
      plant.dir = undefined; // once
      mkdirSync(path.dirname(dir), { recursive: true });
      symlinkSync(plant.target, dir);
    },
  };
});

const fx = scratchHost("gf-agent-job-dir-link-", "job_jlink");

describe("a link an engine planted at jobs/<id> between the removal and the mkdir", () => {
  it("is never taken for the job's directory: the preparation fails and the link's target stays empty", async () => {
    const target = path.join(fx.root, "elsewhere");
    mkdirSync(target);
    const job = fx.job();
    plant.dir = jobDir(fx.host.workDir, job.id);
    plant.target = target;
    await expect(prepareWorkspace(job, fx.host)).rejects.toThrow(/EEXIST/);
    expect(readdirSync(target)).toEqual([]); // no repository made there
    expect(lstatSync(jobDir(fx.host.workDir, job.id)).isSymbolicLink()).toBe(true); // left; removed next time
    const again = await prepareWorkspace(job, fx.host); // the next preparation removes the link, not its target
    expect(lstatSync(again.dir).isDirectory()).toBe(true);
    expect(existsSync(target)).toBe(true);
  });
});
