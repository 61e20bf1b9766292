// A repository's mirror (`<work-dir>/mirrors/<name>.git`) that an engine replaced with a link: every engine that runs
// from a mirror can write `mirrors/`, and the agent took the link for the mirror — its HEAD "repaired", its stale
// `config.lock` cleared, its `hooks` and `info/exclude` removed, all in whatever directory the link named (here one
// standing for another repository of the host's, with a HEAD git would not take). Now a mirror that is not a
// directory is removed — the link itself, never what it leads to — and cloned afresh; the job is prepared as before.
// Real git in temp dirs.
import { lstatSync, mkdirSync, readFileSync, renameSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { prepareWorkspace } from "../../src/agent/workspace.ts";
import { originRepo, scratchHost, sh } from "./agent-git-fixture.ts";

const fx = scratchHost("gf-agent-mirror-link-", "job_mlink");
const opts = { ...fx.host, allowLocalRepos: true };

describe("a mirror an engine replaced with a link", () => {
  it("is cloned afresh, and nothing in the directory the link named is touched", async () => {
    const origin = originRepo(path.join(fx.root, "origin"));
    const a = await prepareWorkspace(fx.job({ repo: origin }), opts);
    const mirror = a.mirror as string;
    const other = path.join(fx.root, "other.git"); // another repository of the host's: the engine's target
    mkdirSync(path.join(other, "hooks"), { recursive: true });
    mkdirSync(path.join(other, "info"));
    writeFileSync(path.join(other, "HEAD"), "not a ref\n");
    writeFileSync(path.join(other, "hooks", "pre-commit"), "#!/bin/sh\n");
    writeFileSync(path.join(other, "info", "exclude"), "*.log\n");
    writeFileSync(path.join(other, "config.lock"), "");
    utimesSync(path.join(other, "config.lock"), new Date(0), new Date(0)); // stale, were it a lock of the mirror's
    renameSync(mirror, path.join(fx.root, "aside.git"));
    symlinkSync(other, mirror);
    const b = await prepareWorkspace(fx.job({ repo: origin }), opts);
    expect(b.base).toBe(sh(origin, "rev-parse", "main"));
    expect(lstatSync(mirror).isDirectory()).toBe(true); // a clone of its own, no link
    expect(readFileSync(path.join(other, "HEAD"), "utf8")).toBe("not a ref\n");
    expect(readFileSync(path.join(other, "hooks", "pre-commit"), "utf8")).toBe("#!/bin/sh\n");
    expect(readFileSync(path.join(other, "info", "exclude"), "utf8")).toBe("*.log\n");
    expect(lstatSync(path.join(other, "config.lock")).isFile()).toBe(true);
  });
});
