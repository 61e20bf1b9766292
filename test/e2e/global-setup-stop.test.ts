// The e2e run stopped while its global set-up runs (SIGTERM, as CI's cancel or a `kill` sends; SIGINT, a Ctrl-C)
// leaves nothing behind: the bundling `wrangler deploy --dry-run` (it ignores SIGTERM), the migrations' workerd and the
// browser are gone once vitest has exited, and so is the set-up's temp dir (the bundle, the migrated state). vitest
// exits a millisecond after either signal and runs no teardown: the wrangler run was left orphaned, writing into a
// dir nobody would remove.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { descendants, isRunning, waitGone } from "../../scripts/process-tree.ts";
import { BIN, ROOT, toolEnv } from "../../scripts/wrangler-runs.ts";

const dirs: string[] = [];
/** Every process the nested runs started, so that a failing test still leaves nothing behind. */
const seen = new Set<number>();
afterAll(() => {
  for (const pid of seen) if (isRunning(pid)) process.kill(pid, "SIGKILL");
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** The command line of `pid`, or "" once it is gone. */
function commandOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ");
  } catch {
    return "";
  }
}

/** Resolves once `ok()` holds (polled every 20 ms); rejects naming `what` after `ms`, a hang guard. */
async function until(what: string, ok: () => boolean, ms = 120_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe.runIf(process.platform === "linux")("the e2e run stopped during its global set-up", () => {
  it.each(["SIGTERM", "SIGINT"] as const)("%s while wrangler bundles: no process and no temp dir left", async (sig) => {
    // Its own temp root: the set-up's dir (gf-e2e-once-*) is made there, and looked for there afterwards.
    const tmp = mkdtempSync(path.join(tmpdir(), "gf-setup-stop-"));
    dirs.push(tmp);
    // Any test file will do: the run is stopped before one starts.
    const child: ChildProcess = spawn(
      path.join(BIN, "vitest"),
      ["run", "--config", "vitest.e2e.config.ts", "test/e2e/runtime-death.test.ts"],
      // A fresh bundle, not the checkout's cached one (scripts/bundle-cache): the run this test is in warmed that cache,
      // so without this the nested set-up would never start the wrangler run it must be stopped during.
      { cwd: ROOT, env: toolEnv({ TMPDIR: tmp, GF_NO_BUNDLE_CACHE: "1" }), stdio: ["ignore", "pipe", "pipe"] },
    );
    let output = "";
    child.stdout?.on("data", (d) => {
      output += d;
    });
    child.stderr?.on("data", (d) => {
      output += d;
    });
    const exited = new Promise<void>((r) => child.once("exit", () => r()));
    const mine = new Set<number>();
    const bundling = () => {
      for (const pid of descendants(child.pid!)) {
        mine.add(pid);
        seen.add(pid);
      }
      return [...mine].some((pid) => commandOf(pid).includes("deploy --dry-run"));
    };
    await until("wrangler's bundling run under vitest", bundling);
    expect(readdirSync(tmp).filter((d) => d.startsWith("gf-e2e-once-"))).toHaveLength(1);
    bundling(); // the tree as it is at the signal: the browser and the migrations' workerd may have come up since
    child.kill(sig);
    await exited;
    // A bound for the kernel's teardown of SIGKILLed processes, not a claim about time.
    const left = [...mine].filter(isRunning);
    expect(await waitGone(left, 5_000), `${left.map((p) => `${p} ${commandOf(p)}`).join("\n")}\n${output}`).toBe(true);
    expect(readdirSync(tmp).filter((d) => d.startsWith("gf-e2e-once-"))).toEqual([]);
  });
});
