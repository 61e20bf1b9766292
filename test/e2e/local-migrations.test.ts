// The D1 migrations a local start applies without wrangler (scripts/d1-migrations) are the ones wrangler applies, recorded
// as wrangler records them: wrangler finds nothing left to apply on a state they migrated, they find nothing left on
// a state wrangler migrated (an older `npm start`'s), and a second run applies nothing.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { applyMigrations } from "../../scripts/d1-migrations.ts";
import { BIN, ROOT, stoppedStarting, toolEnv } from "../../scripts/wrangler-runs.ts";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const fresh = () => {
  const d = mkdtempSync(path.join(tmpdir(), "gf-migrations-"));
  dirs.push(d);
  return d;
};
const wrangler = (...args: string[]) =>
  execFileSync(path.join(BIN, "wrangler"), args, { cwd: ROOT, env: toolEnv({ CI: "true" }), encoding: "utf8" });
const files = readdirSync(path.join(ROOT, "migrations"))
  .filter((f) => f.endsWith(".sql"))
  .sort();

describe("local D1 migrations, applied in-process", () => {
  // The schema itself is what every other end-to-end file runs on (test/e2e/global-setup migrates with this).
  it("applies every file once, as wrangler would: wrangler then has nothing to apply", async () => {
    const state = fresh();
    expect(await applyMigrations(state)).toEqual(files);
    expect(await applyMigrations(state)).toEqual([]);
    expect(wrangler("d1", "migrations", "list", "DB", "--local", "--persist-to", state)).toContain(
      "No migrations to apply",
    );
  });

  it("finds nothing to apply on a state wrangler migrated", async () => {
    const state = fresh();
    wrangler("d1", "migrations", "apply", "DB", "--local", "--persist-to", state);
    expect(await applyMigrations(state)).toEqual([]);
  });

  it("refuses at once when stopped before it starts, leaving no state behind", async () => {
    const state = fresh();
    const stop = new AbortController();
    stop.abort();
    await expect(applyMigrations(state, stop.signal)).rejects.toThrow(stoppedStarting().message);
    expect(readdirSync(state)).toEqual([]);
  });
});
