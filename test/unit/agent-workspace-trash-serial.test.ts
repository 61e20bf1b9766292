// `trash/` is emptied after every welcome (agent/job-leftovers `emptyTrash`), and each entry's removal is a process
// of its own (`rm` in the sandbox, or as the engine user). `trash/` is writable in the sandbox, so an engine that
// filled it with thousands of entries had the agent start one process per entry all at once. Now the entries go one
// after another, and a welcome while an emptying runs starts no second one. A stand-in for bwrap records whether two
// removals ever ran at once; the test waits until trash is empty, then asks.
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { emptyTrash, trashDir } from "../../src/agent/job-leftovers.ts";
import type { Sandbox } from "../../src/agent/sandbox.ts";
import { removeInSandbox } from "../../src/agent/workspace-removal.ts";
import { until } from "./agent-fakes.ts";

const root = mkdtempSync(path.join(tmpdir(), "gf-trash-serial-"));
afterAll(() => {
  removeInSandbox(undefined);
  rmSync(root, { recursive: true, force: true });
});

/** 40 entries: started all at once, two of their removals overlap for certain. */
const ENTRIES = 40;

/** A "bwrap" that runs what follows `--` directly, holding a slot (a dir) meanwhile: `overlap` when it was taken. */
function recordingBox(): { box: Sandbox; overlap: string } {
  const slot = path.join(root, "slot");
  const overlap = path.join(root, "overlap");
  const shim = path.join(root, "bwrap");
  writeFileSync(
    shim,
    `#!/bin/sh
mkdir '${slot}' 2>/dev/null || touch '${overlap}'
while [ "$1" != "--" ]; do shift; done; shift
"$@"; rc=$?
rmdir '${slot}' 2>/dev/null
exit $rc
`,
  );
  chmodSync(shim, 0o755);
  const box = { bwrap: shim, hideDirs: [], hideFiles: [], readOnly: [], writable: [], pinned: [], mounts: [] };
  return { box, overlap };
}

describe.runIf(process.platform === "linux")("emptying trash/", () => {
  it("removes its entries one at a time, and a second call while it runs starts none", async () => {
    const { box, overlap } = recordingBox();
    removeInSandbox(box);
    const places = { workDir: path.join(root, "work"), stateDir: path.join(root, "state") };
    const trash = trashDir(places.workDir);
    for (let i = 0; i < ENTRIES; i++) {
      mkdirSync(path.join(trash, `job_${i}-0a1b2c3d`, "src"), { recursive: true });
      writeFileSync(path.join(trash, `job_${i}-0a1b2c3d`, "src", "f.txt"), "x\n");
    }
    void emptyTrash(places);
    void emptyTrash(places); // a second welcome meanwhile
    await until("trash emptied", () => readdirSync(trash).length === 0);
    expect(existsSync(overlap)).toBe(false);
  });
});
