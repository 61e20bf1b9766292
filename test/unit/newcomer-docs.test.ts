// What a newcomer's first hour read in the README and the OpenAPI text says what the code does, where that hour
// tripped (pass 30): `watch` exits 0 for a dead-lettered or cancelled job as for a shipped one (the README named only
// exit 3, so `watch ID && deploy` read as "deploy once it shipped"); `gigafactory dead-letters` lists records the
// coordinator could not deliver, never dead-lettered jobs (`jobs --stage dead_letter` does); a product's first budget
// starts at $0, whatever its jobs spent before; and the webhook, which has no CLI command, is set with the README's
// curl example — a body the route's own schema takes, sent to the API's own path; and a track record's "success 80 %"
// after 3 successes of 3 in `explain` is the Beta(1, 1) prior's mean, while the dashboard's fleet cards show the raw
// share (dashboard/learned.js trackLines), which the README now spells out. Pass 31's hour, a three-host fleet on one
// box: a job naming no engine may run the bundled sample engine, which every agent offers (engine:sample), so the
// README says to name it; several agents on one machine each need their own --state-dir; `testing` waits for an
// operator's ship (nothing runs tests or merges) and the work is diff.patch and the gf/wip branch; a budget that only
// ran out overruns on the first resume (the README said "a second"); `stalled` counts shipped jobs only; and a
// Prometheus scrape config whose path, parameter and token role the API takes. docs/first-fleet.md, the walk from a
// checkout to three hosts, names only CLI and agent command lines that parse, and a job manifest the coordinator takes.
// And a root agent's engine user has a HOME of its own, where a `claude login` made as root is not: the AI keys pass.
// Pass 32's hour on one box (docs/first-fleet.md step 8) needed the source for every job kind but the plain one: the
// sample engine's body lines (gf-sample-seconds, -cost, -exit) were named only in the engine, a Markdown manifest
// refuses `children:` while the README shows `children: [...]`, and a sibling dep is `#<index>`. Step 8's manifests
// parse, its children file is a body the route takes, its engine lines do what the walk says when the real sample
// engine runs them, its waiting codes exist, and its command lines — quoted arguments kept whole — parse. Pass 43:
// the README and the walk say `npm start`'s demo stops with any of its agents (a `kill -9` included), and where to
// watch a crash instead, the section `npm start`'s `agent_exited` line names.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
// @ts-expect-error plain browser JavaScript, typed by JSDoc only
import { trackLines } from "../../dashboard/learned.js";
import { ENROLL_FLAGS, parseArgs, RUN_FLAGS } from "../../src/agent/cli-args.ts";
import { defaultWorkDir, stateDirFrom } from "../../src/agent/config.ts";
import { engineMayInherit, identityEnv } from "../../src/agent/engine-env.ts";
import { pickEngine } from "../../src/agent/engines.ts";
import { hostProfile } from "../../src/agent/host.ts";
import { checkpointBranch } from "../../src/agent/workspace.ts";
import { parseCommandLine } from "../../src/cli/args.ts";
import { watch } from "../../src/cli/commands/watch.ts";
import { COMMANDS } from "../../src/cli/registry.ts";
import { waitingNote } from "../../src/cli/watch-waiting.ts";
import { applyRule, budgetState, pausedByOf } from "../../src/core/budget.ts";
import { exclusionDelayMs } from "../../src/core/exclusions.ts";
import { productHealth } from "../../src/core/health.ts";
import { parseManifest } from "../../src/core/manifest.ts";
import { TERMINAL_STAGES } from "../../src/core/model.ts";
import { allowedFrom } from "../../src/core/stages.ts";
import { successRate } from "../../src/core/track-record.ts";
import { waitsForOperator } from "../../src/core/waiting.ts";
import { WAITING_CODES } from "../../src/core/waiting-reason.ts";
import { JobListQuery } from "../../src/shared/api.ts";
import { AlertSchema, WebhookBodySchema } from "../../src/shared/api-alerts.ts";
import { MetricsQuery } from "../../src/shared/api-metrics.ts";
import { ChildrenBody } from "../../src/shared/api-policies.ts";
import { P } from "../../src/worker/openapi-ops.ts";
import { ALERTS_OPS } from "../../src/worker/openapi-ops-alerts.ts";
import { BUDGET_OPS } from "../../src/worker/openapi-ops-budget.ts";
import { DEAD_LETTER_OPS } from "../../src/worker/openapi-ops-dead-letters.ts";
import { METRICS_OPS } from "../../src/worker/openapi-ops-metrics.ts";
import { prefersPrometheus } from "../../src/worker/routes/metrics.ts";

const README = readFileSync(path.resolve(import.meta.dirname, "../../README.md"), "utf8");
const FIRST_FLEET = readFileSync(path.resolve(import.meta.dirname, "../../docs/first-fleet.md"), "utf8");

/** The README's paragraph (blank-line bounded) that starts with `start`, or "" when it has none. */
const paragraph = (start: string) => README.split(/\n\n/).find((p) => p.startsWith(start)) ?? "";

/** The README's CLI block line of one command, e.g. `npx gigafactory watch`. */
const cliLine = (command: string) => README.split("\n").find((l) => l.startsWith(`${command} `)) ?? "";

/** A docs command line's words as a shell splits them: a quoted argument is one word, without its quotes. */
const words = (line: string) => [...line.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3] ?? "");

/** The bodies of docs/first-fleet.md's fenced blocks in `lang`, in order. */
const fleetBlocks = (lang: string) =>
  FIRST_FLEET.split(`\`\`\`${lang}\n`)
    .slice(1)
    .map((b) => b.split("```")[0] ?? "");

/** docs/first-fleet.md from its step 8 on: every kind of job on one box. */
const STEP_8 = FIRST_FLEET.slice(FIRST_FLEET.indexOf("## 8. "));

/** The sample engine run on `bodyMd` in a temp dir of its own (removed after), as an agent hands it a job. */
function runSample(bodyMd: string) {
  const cwd = mkdtempSync(path.join(tmpdir(), "gf-newcomer-"));
  try {
    const out = spawnSync(process.execPath, [path.resolve("examples/engines/sample-engine.mjs")], {
      cwd,
      input: bodyMd,
      env: { ...process.env, GF_SAMPLE_SECONDS: "0" },
    });
    return { status: out.status, stdout: out.stdout.toString() };
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
}

/** The first line the sample engine prints for `bodyMd` (it then works for its seconds: stopped here, not waited for). */
async function sampleFirstLine(bodyMd: string): Promise<string> {
  const cwd = mkdtempSync(path.join(tmpdir(), "gf-newcomer-"));
  const child = spawn(process.execPath, [path.resolve("examples/engines/sample-engine.mjs")], { cwd });
  try {
    child.stdin.end(bodyMd);
    return await new Promise<string>((resolve, reject) => {
      let out = "";
      child.stdout.on("data", (d: Buffer) => {
        out += d.toString();
        if (out.includes("\n")) resolve(out.split("\n")[0] ?? "");
      });
      child.once("exit", () => reject(new Error(`sample engine exited before its first line: ${out}`)));
    });
  } finally {
    const gone = new Promise((r) => (child.exitCode === null ? child.once("exit", r) : r(null)));
    child.kill("SIGKILL");
    await gone;
    rmSync(cwd, { recursive: true, force: true });
  }
}

const descriptionOf = (ops: { operationId: string; description?: string }[], id: string) =>
  ops.find((o) => o.operationId === id)?.description ?? "";

describe("the README and the OpenAPI text, read as a newcomer", () => {
  it("say `watch` exits 0 for every terminal stage, as its own help does — not for a shipped job alone", () => {
    const help = (watch.details ?? []).find((l) => l.trim().startsWith("exit 0")) ?? "";
    const line = cliLine("npx gigafactory watch");
    const prose = paragraph("`watch` ends on its own");
    for (const stage of TERMINAL_STAGES) {
      expect(help, stage).toContain(stage);
      expect(line, stage).toContain(stage);
      expect(prose, stage).toContain(`\`${stage}\``);
    }
    expect(line).toContain("exit 0");
    expect(prose).toContain("exit 0");
    expect(prose).toContain("gigafactory job ID --json");
  });

  it("tell the dead-letter list from dead-lettered jobs, and name the command that lists those", () => {
    expect(JobListQuery.parse({ stage: "dead_letter" }).stage).toBe("dead_letter");
    expect(cliLine("npx gigafactory dead-letters --all")).toContain("`jobs --stage dead_letter` lists those");
    expect(paragraph("`watch` ends on its own")).toContain("`gigafactory jobs --stage dead_letter`");
    const list = descriptionOf(DEAD_LETTER_OPS, "listDeadLetters");
    expect(list).toContain("never jobs: a job whose attempts ran out is in stage dead_letter");
    expect(list).toContain("`GET …/jobs?stage=dead_letter`");
  });

  it("say a product's first budget starts at $0, as core/budget makes it", () => {
    const now = Date.UTC(2026, 11, 5, 12, 30);
    expect(applyRule(undefined, { period: "day", ceilingUsd: 5, onExhausted: "pause" }, now).spentUsd).toBe(0);
    expect(README).toContain("a product's first budget starts its period at $0, whatever its jobs spent before");
    expect(descriptionOf(BUDGET_OPS, "setBudget")).toContain(
      "only while a budget is set: a product's first budget starts at spentUsd 0, runs reported before it uncounted",
    );
  });

  it("give a webhook example whose body the route takes, on the path the API serves it", () => {
    const block = README.split("```sh\ncurl -X PUT ")[1]?.split("```")[0] ?? "";
    const url = block.match(/^(\S+)/)?.[1] ?? "";
    const body = block.match(/-d '([^']+)'/)?.[1] ?? "";
    expect(WebhookBodySchema.safeParse(JSON.parse(body)).success).toBe(true);
    const put = ALERTS_OPS.find((o) => o.method === "put" && o.path === `${P}/webhook`);
    expect(put?.role).toBe("operator");
    expect(new URL(url).pathname).toBe(`${P}/webhook`.replace("{productId}", "demo"));
    expect(block).toContain("Bearer <operator-token>");
  });

  it("spell out why 3 successes of 3 read 80 % in a track record", () => {
    expect(successRate({ successes: 3, failures: 0 })).toBeCloseTo(0.8, 10);
    expect(README).toContain("(successes + 1) / (runs + 2): 3 successes of 3 read 80 % in `explain`");
    const card = trackLines(
      [{ factoryId: "f", engine: "sample", jobClass: "-", record: { successes: 3, failures: 0, n: 3 } }],
      "f",
    );
    expect(card[0]?.text).toContain("100 % ok (n=3)");
    expect(README).toContain("the dashboard's fleet cards show the raw share, 100 %");
  });
  it("say a job naming no engine may run the sample engine every agent offers, and in which order one is picked", () => {
    const profile = hostProfile({}, []);
    expect(profile.engines.has("sample")).toBe(true);
    expect(profile.capabilities).toContain("engine:sample");
    const all = new Map([
      ["sample", "s"],
      ["codex", "x"],
      ["claude", "c"],
      ["mine", "m"],
    ]);
    expect(pickEngine(undefined, all)).toMatchObject({ name: "mine" });
    expect(pickEngine(undefined, all, "codex")).toMatchObject({ name: "codex" });
    all.delete("mine");
    expect(pickEngine(undefined, all)).toMatchObject({ name: "claude" });
    all.delete("claude");
    expect(pickEngine(undefined, all)).toMatchObject({ name: "codex" });
    expect(pickEngine(undefined, new Map([["sample", "s"]]))).toMatchObject({ name: "sample" });
    expect(README).toContain(
      "the first it has of its own `--engine`s, `claude`, `codex` and\n`sample` — the bundled stand-in every agent offers as `engine:sample`",
    );
    expect(README).toContain("every agent offers it as `sample` (`engine:sample`)");
  });

  it("tell several agents on one machine to give each its own --state-dir, as the agent resolves it", () => {
    expect(stateDirFrom({}, {}, "/home/h")).toBe("/home/h/.gigafactory-agent");
    expect(stateDirFrom({}, { GIGAFACTORY_AGENT_STATE: "/b" }, "/home/h")).toBe("/b");
    expect(stateDirFrom({ "state-dir": "/a" }, { GIGAFACTORY_AGENT_STATE: "/b" }, "/home/h")).toBe("/a");
    expect(defaultWorkDir("/a")).toBe("/a-work");
    const prose = paragraph("Each agent keeps its factory's token in its state dir");
    expect(prose).toContain("add `--state-dir DIR` to both the `enroll` and the `run`");
    expect(prose).toContain("`DIR-work`");
  });

  it("say `testing` waits for an operator's ship, and where a built job's work is", () => {
    expect([...allowedFrom("testing")].sort()).toEqual(["cancelled", "failed", "shipped"]);
    const prose = paragraph("**What a built job leaves, and who ships it.**");
    expect(prose).toContain("Nothing in Gigafactory runs tests, merges or pushes to your branches");
    expect(checkpointBranch("job_1", 3)).toBe("gf/wip/job_1-e3");
    expect(prose).toContain("`gf/wip/<job>-e<epoch>`");
    expect(prose).toContain("`POST …/jobs/{id}/actions/ship`");
  });

  it("say a budget that only ran out runs over its ceiling on the first resume", () => {
    const ranOut = { ceilingUsd: 0.5, spentUsd: 0.6, exhausted: true };
    expect(pausedByOf(ranOut)).toBe("exhausted");
    expect(budgetState({ ...ranOut, exhausted: false, overrun: true })).toBe("overrun");
    expect(README).toContain("on a budget that simply ran out the first resume does that");
    expect(README).not.toContain("over the ceiling a second, deliberate resume");
  });

  it("say `stalled` counts shipped jobs only, with queued work waiting", () => {
    const min = 60_000;
    const base = { expectedFinishIntervalMinutes: 30, openAlerts: { info: 0, warning: 0, critical: 0 } };
    const factories = { ok: 3, degraded: 0, down: 0 };
    expect(productHealth({ ...base, factories, lastFinishedAt: 0, oldestWaitingSince: 0 }, 61 * min)).toBe("stalled");
    expect(productHealth({ ...base, factories, lastFinishedAt: 0 }, 61 * min)).toBe("healthy");
    expect(README).toContain("`stalled` (no job shipped");
  });

  it("give a Prometheus scrape config the metrics route answers: its path, its format, a viewer token", () => {
    const block = README.split("```yaml\nscrape_configs:")[1]?.split("```")[0] ?? "";
    const metricsPath = block.match(/metrics_path: (\S+)/)?.[1] ?? "";
    const format = block.match(/params: \{ format: \[(\w+)\] \}/)?.[1] ?? "";
    const get = METRICS_OPS.find((o) => o.operationId === "getMetrics");
    expect(metricsPath).toBe(`${get?.path}`.replace("{productId}", "demo"));
    expect(MetricsQuery.parse({ format }).format).toBe("prometheus");
    expect(get?.role).toBe("viewer");
    expect(block).toContain("credentials_file:");
    expect(paragraph("Prometheus scrapes one product per scrape job")).toContain("--role viewer");
    // Prometheus's own Accept header (2.x/3.x default scrape protocols) gets the text format without the parameter.
    expect(
      prefersPrometheus(
        "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1",
      ),
    ).toBe(true);
  });
  it("walk docs/first-fleet.md with command lines the CLI and the agent parse, and a manifest the coordinator takes", () => {
    const blocks = fleetBlocks;
    // Every `npx gigafactory …` the walk names, in its sh blocks and in its prose.
    const cli = [
      ...blocks("sh").flatMap((b) => b.split("\n")),
      ...[...FIRST_FLEET.matchAll(/`(npx gigafactory [^`]+)`/g)].map((m) => m[1] ?? ""),
    ].filter((l) => l.startsWith("npx gigafactory "));
    expect(cli.length).toBeGreaterThan(20);
    for (const line of cli) {
      const parsed = parseCommandLine(words(line).slice(2), COMMANDS);
      expect(parsed.command, line).toBeDefined();
    }
    const agent = blocks("sh")
      .flatMap((b) => b.split("\n"))
      .filter((l) => l.startsWith("node_modules/.bin/node bin/gigafactory-agent.mjs "));
    expect(agent.map((l) => l.split(" ")[2])).toEqual(["enroll", "run", "run"]);
    for (const line of agent) {
      const parsed = parseArgs(words(line).slice(2), { enroll: ENROLL_FLAGS, run: RUN_FLAGS });
      // Out of /root: as root the engine's user (nobody) must reach the work dir beside the state dir.
      expect(parsed.flags["state-dir"], line).toMatch(/^\/srv\/gf\/[a-z0-9-]+$/);
    }
    // A job no host can run is `queued`: no stage an operator moves on, so `watch` waits — saying why, with the fix
    // (cli/watch-waiting `waitingNote`), on stderr; the walk said it printed "only its submission" (a newcomer, pass 42).
    expect(waitsForOperator("queued")).toBe(false);
    expect(FIRST_FLEET).not.toContain("only its submission");
    const note = waitingNote("job_1", { code: "no_capable_factory", message: "m", since: 0, detail: {} }, "f");
    expect(note).toMatch(/^… job_1 waits: no_capable_factory — m — fix: f/);
    expect(FIRST_FLEET).toContain(
      "`watch` prints\nits submission, then on stderr the waiting reason and the command that ends the wait (`… waits: no_capable_factory —\n… — fix: …`)",
    );
    expect(FIRST_FLEET).toContain("As root, keep the state dirs out of\n`/root`");
    // A host that gave a local-repo job back stays kept from it after a restart with the flag: only a requeue clears it.
    const minutes = (strikes: number) => exclusionDelayMs("rejected", strikes) / 60_000;
    expect([minutes(1), minutes(2), minutes(99)]).toEqual([15, 30, 24 * 60]);
    expect(FIRST_FLEET).toContain(
      "kept from it for 15 minutes (30 the next time, doubling up to a day: the job waits `excluded`)",
    );
    expect(WAITING_CODES).toContain("excluded");
    expect(FIRST_FLEET).toContain("does not lift that: `npx gigafactory requeue JOB_ID` does");
    const manifest = blocks("markdown")[0] ?? "";
    expect(parseManifest(manifest).manifest).toMatchObject({ engine: "claude", requires: ["gpu"], budget: { usd: 2 } });
    expect(README).toContain("[docs/first-fleet.md](docs/first-fleet.md)");
  });
  it("say the demo stops with any of its agents, and to try a crash on an agent enrolled beside it", () => {
    // Pass 43's hour: `kill -9` of a demo agent stopped the whole demo (`agent_exited`) where the README said nothing.
    const start = readFileSync(path.resolve(import.meta.dirname, "../../scripts/start.ts"), "utf8");
    const section = /docs\/first-fleet\.md, "([^"]+)"/.exec(start)?.[1] ?? "";
    expect(FIRST_FLEET).toContain(`**${section}**`);
    const bullet = README.slice(
      README.indexOf("- `npm start` runs the Worker"),
      README.indexOf("- `npm run dev` starts"),
    );
    expect(bullet).toContain("stops with any of its agents");
    expect(bullet).toContain("✘ ERROR agent_exited");
    expect(bullet).toContain(`"${section}"`);
    const walk = FIRST_FLEET.slice(FIRST_FLEET.indexOf(`**${section}**`));
    expect(walk).toMatch(/not one of `npm start`'s/);
  });

  it("say which variables reach an engine, and that an engine user has its own HOME (where no claude login is)", () => {
    for (const name of ["ANTHROPIC_API_KEY", "OPENAI_API_KEY", "CLAUDE_CONFIG_DIR", "CODEX_HOME", "GF_X", "PATH"])
      expect(engineMayInherit(name), name).toBe(true);
    for (const name of ["GIGAFACTORY_FACTORY_TOKEN", "AWS_PROFILE", "GITHUB_TOKEN"])
      expect(engineMayInherit(name), name).toBe(false);
    expect(identityEnv({ name: "nobody", home: "/w/home" })).toMatchObject({ HOME: "/w/home", USER: "nobody" });
    const always = README.slice(README.indexOf("- **Always:**"));
    expect(always).toContain("`ANTHROPIC_*`, `OPENAI_*`, `CLAUDE_*` and `CODEX_*`");
    expect(always).toContain("give the agent `ANTHROPIC_API_KEY` / `OPENAI_API_KEY` (they pass on)");
    expect(FIRST_FLEET).toContain("put `ANTHROPIC_API_KEY` or `OPENAI_API_KEY` in the agent's environment");
  });

  describe("docs/first-fleet.md step 8: every kind of job on one box, with the sample engine", () => {
    const manifests = fleetBlocks("markdown")
      .filter((b) => STEP_8.includes(b))
      .map((b) => parseManifest(b));
    const titled = (title: string) => {
      const found = manifests.find((m) => m.manifest.title === title);
      if (!found) throw new Error(`step 8 has no manifest titled ${title}`);
      return found;
    };

    it("gives manifests the coordinator takes, each for the sample engine", () => {
      expect(manifests.map((m) => m.manifest.title)).toEqual([
        "Migrate the sessions table",
        "Refactor the config loader",
        "Train the ranking model",
        "A job that always fails",
        "Ship the settings page",
        "Work a minute on gpu-1",
        "Spend sixty cents",
      ]);
      for (const m of manifests) expect(m.manifest.engine, m.manifest.title).toBe("sample");
      expect(titled("Migrate the sessions table").manifest.serialKey).toBe("acme/db");
      expect(titled("Refactor the config loader").manifest).toMatchObject({ reviewers: 1, onReject: "requeue" });
      expect(titled("Train the ranking model").manifest.requires).toEqual(["tpu"]);
      expect(titled("A job that always fails").manifest.maxAttempts).toBe(2);
      expect(titled("Ship the settings page").manifest.kind).toBe("composite");
      expect(titled("Work a minute on gpu-1").manifest.requires).toEqual(["gpu"]);
      // No key: each `submit spend.md` makes a new job, as the walk submits it three times.
      expect(titled("Spend sixty cents").manifest.idempotencyKey).toBeUndefined();
    });

    it("says a Markdown manifest cannot carry children, and gives the children file the route takes", () => {
      const parent = fleetBlocks("markdown").find((b) => b.includes("kind: composite")) ?? "";
      const withChildren = parent.replace("kind: composite\n", "kind: composite\nchildren: [{title: Design}]\n");
      expect(() => parseManifest(withChildren)).toThrow(/children/);
      expect(STEP_8).toContain(
        "A Markdown manifest cannot carry `children:` (`submit` refuses it, `invalid_manifest`)",
      );
      const json = fleetBlocks("json").find((b) => STEP_8.includes(b)) ?? "";
      const body = ChildrenBody.parse(JSON.parse(json));
      expect(body.children.map((c) => c.deps)).toEqual([[], ["#0"], ["#0", "#1"]]);
      // Each `#<index>` names an earlier sibling, so the three make the DAG the walk describes.
      body.children.forEach((c, i) => {
        for (const d of c.deps) expect(Number(d.slice(1)), `child ${i}`).toBeLessThan(i);
      });
    });

    it("names sample-engine lines that do what it says when the engine runs them", async () => {
      const cost = runSample(titled("Spend sixty cents").bodyMd);
      expect(cost.status).toBe(0);
      const insights = cost.stdout.split("\n").filter((l) => l.startsWith('{"gf_insights"'));
      expect(JSON.parse(insights.at(-1) ?? "{}").gf_insights.costUsd).toBe(0.6);
      expect(runSample(titled("A job that always fails").bodyMd).status).toBe(1);
      expect(await sampleFirstLine(titled("Migrate the sessions table").bodyMd)).toMatch(/ for 30s$/);
      expect(await sampleFirstLine(titled("Work a minute on gpu-1").bodyMd)).toMatch(/ for 60s$/);
      for (const line of ["gf-sample-seconds: N", "gf-sample-cost: X", "gf-sample-exit: N"])
        expect(STEP_8).toContain(`\`${line}\``);
    });

    it("names waiting reasons and alerts the coordinator gives", () => {
      const named = [...STEP_8.matchAll(/`([a-z]+(?:_[a-z]+)+)[` ]/g)].map((m) => m[1] ?? "");
      const alerts = AlertSchema.shape.kind.options as readonly string[];
      const waiting = [...new Set(named.filter((n) => n !== "dead_letter" && n !== "invalid_manifest"))];
      expect(waiting.filter((n) => !alerts.includes(n)).sort()).toEqual([
        "budget_paused",
        "children_running",
        "deps_unmet",
        "no_capable_factory",
        "no_factory_connected",
        "serial_key_held",
      ]);
      for (const code of waiting) expect([...WAITING_CODES, ...alerts], code).toContain(code);
      expect(waiting).toEqual(expect.arrayContaining(["budget_warning", "budget_exhausted"]));
    });
  });
});
