// What a newcomer trying the benchmark as bench/README.md writes it (pass 48, helper N) met, each RED until fixed:
// `npm run bench:floor -- --help` was refused `✘ ERROR bad_option: Unknown option '--help'` (exit 2) where
// `npm run bench -- --help` prints its usage (exit 0); and both usages write each option as `[-- --json] [-- --quick]`,
// but a command line typed that way (`npm run bench -- --quick -- --json`: npm passes the second `--` on) was refused
// (`unknown option --`; the floor's `Unexpected argument '--memory'`). The bench's own usage error is no `✘ ERROR`
// line (STYLE: `✘ ERROR code: what happened / how to fix it`), as the floor's is. `--json --only recovery` left
// growth out of `skipped` (bench/report toJson lists the five other scenarios only), though the README says `skipped`
// lists every scenario `--only` left out.
// `gigafactory batch submit` of a .json file `{manifest, bodyMD}` (a typo of bodyMd) made a job with an empty body —
// cli/batch-input kept only `manifest` and `bodyMd`, so the route's strict item schema never saw the stray key — and
// an empty file among thousands refused the whole batch as `body.items.1.markdown: Too small …`, naming no file.
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { QUICK } from "../../bench/counts.ts";
import { floorArgs } from "../../bench/floor.ts";
import { type Results, toJson } from "../../bench/report.ts";
import { parseArgs } from "../../bench/suite.ts";
import { captureCli, connection, stubCoordinator } from "../support/cli-harness.ts";

const ROOT = path.resolve(import.meta.dirname, "../..");
const NODE = path.join(ROOT, "node_modules", ".bin", "node");
// Only argument errors and --help: neither starts a runtime (each ends before main's first log line).
const run = (script: string, args: string[]) =>
  spawnSync(NODE, [path.join(ROOT, script), ...args], { encoding: "utf8", timeout: 30_000 });

describe("the benchmark's command lines, as its usage and README write them", () => {
  it("`bench:floor -- --help` prints the usage and exits 0, as `bench -- --help` does", () => {
    const bench = run("bench/run.ts", ["--help"]);
    expect(bench.status).toBe(0);
    const floor = run("bench/floor.ts", ["--help"]);
    expect.soft(floor.stderr + floor.stdout).toMatch(/usage: npm run bench:floor/);
    expect.soft(floor.stderr).not.toMatch(/bad_option/); // was: ✘ ERROR bad_option: Unknown option '--help'
    expect.soft(floor.status).toBe(0); // was: 2
  });

  it("takes the options the way the usage writes them, `-- --quick -- --json`", () => {
    // The usage's `[-- --json] [-- --quick]`: npm strips the first `--` only.
    expect.soft(parseArgs(["--quick", "--", "--json"])).toMatchObject({ quick: true, json: true }); // was: unknown option --
    expect.soft(floorArgs(["--json", "--", "--memory"])).toMatchObject({ json: true, memory: true }); // was: Unexpected argument
  });

  it("lists growth in --json's `skipped` when --only left it out", () => {
    // What bench/suite hands the report after `--only recovery`: every other scenario skipped, no growth cell run.
    const results: Results = {
      counts: QUICK,
      startedAt: new Date(0),
      runtimeSeconds: 1,
      machine: { cpu: "test", cpus: 2, memoryGb: 1, node: "v22", os: "linux" } as unknown as Results["machine"],
      peakRssMb: 1,
      restarts: 0,
      crashes: 0,
      loadAvg: { start: [0, 0, 0], end: [0, 0, 0] },
      latency: { skipped: true },
      throughput: { skipped: true },
      recovery: {},
      fanout: { skipped: true },
      idle: { skipped: true },
      growth: [],
    };
    expect(toJson(results).skipped).toContain("growth"); // was: ["latency", "throughput", "fanout", "idle"]
  });

  it("says a bad `--only` as a `✘ ERROR` line with its fix, exit 2", () => {
    const typo = run("bench/run.ts", ["--only", "growht"]);
    expect(typo.status).toBe(2);
    expect.soft(typo.stderr).toMatch(/^✘ ERROR \w+: unknown scenario "growht"/m); // was: a bare `unknown scenario …`
  });
});

const dir = mkdtempSync(path.join(tmpdir(), "gf-pass48-n-"));
function file(name: string, text: string): string {
  const p = path.join(dir, name);
  writeFileSync(p, text);
  return p;
}

/** A coordinator that answers jobs:batch as the route does: its item schema is strict, and markdown is never empty. */
async function strictBatchRoute() {
  const refuse = (detail: string) => ({
    type: "https://gigafactory.dev/problems/validation_failed",
    title: "Request failed validation",
    status: 400,
    detail,
    code: "validation_failed",
  });
  return stubCoordinator((req, reply) => {
    if (req.method !== "POST" || req.url !== "/api/v1/products/shop/jobs:batch")
      return reply.problem(404, { title: "Not Found", detail: "nope", code: "not_found" });
    const { items } = req.body as { items: Record<string, unknown>[] };
    for (const [i, item] of items.entries()) {
      const extra = Object.keys(item).find((k) => !["markdown", "manifest", "bodyMd"].includes(k));
      if (extra) return reply.problem(400, refuse(`body.items.${i}: Unrecognized key: "${extra}"`));
      if (item.markdown === "")
        return reply.problem(
          400,
          refuse(`body.items.${i}.markdown: Too small: expected string to have >=1 characters`),
        );
    }
    const ok = items.map((_, index) => ({ index, idempotencyKey: `content:${index}`, status: "queued" }));
    const keys = ok.map((o) => o.idempotencyKey);
    reply.json(202, {
      batchId: "b-1",
      accepted: ok.length,
      jobs: ok.length,
      idempotencyKeys: keys,
      items: ok,
      rejected: [],
    });
  });
}

describe("gigafactory batch submit, a file a newcomer got slightly wrong", () => {
  it("does not drop a .json item's misspelt bodyMd: the job would run with no instructions", async () => {
    const stub = await strictBatchRoute();
    const typo = file("typo.json", JSON.stringify({ manifest: { title: "Fix it" }, bodyMD: "the instructions" }));
    const r = await captureCli(["batch", "submit", typo, ...connection(stub.url, "shop")]);
    // Sent as written the route refuses it (exit 1, the key named); or the CLI refuses it first — never a job without its body.
    expect.soft(r.code).not.toBe(0); // was: 0, "1 item accepted" and a job whose bodyMd is ""
    expect.soft(`${r.stdout}${r.stderr}`).toMatch(/bodyMD/);
  });

  it("names the empty file that refused the whole batch", async () => {
    const stub = await strictBatchRoute();
    const named = [file("one.md", "# One\n"), file("empty.md", ""), file("three.md", "# Three\n")];
    const r = await captureCli(["batch", "submit", ...named, ...connection(stub.url, "shop")]);
    expect(r.code).not.toBe(0);
    expect.soft(r.stderr).toContain(named[1]); // was: `body.items.1.markdown: Too small …`, no file named
  });
});
