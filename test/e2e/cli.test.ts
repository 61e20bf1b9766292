// The operator CLI as a real process against a real local coordinator: login and its config file, submit,
// the --json contract of every read, human tables, actions, enroll, watch (live, resumable) and error output.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN, call, createProduct, type Harness, P, startHarness } from "./harness.ts";
import { keepBeating } from "./long-lived.ts";
import { ProductClient } from "./product-client.ts";

const ROOT = path.resolve(import.meta.dirname, "../..");
const NODE = path.join(ROOT, "node_modules", ".bin", "node");
const BIN = path.join(ROOT, "bin", "gigafactory.mjs");
const PRODUCT = "e2e-cli";
const ERROR_LINE = /^✘ ERROR ([a-z_0-9]+): (.+) \/ (.+)$/;

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

let h: Harness;
let dir: string;
let configFile: string;

/** The CLI's environment: none of the caller's GIGAFACTORY_* settings, the config file in our temp dir. */
function cliEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("GIGAFACTORY_")));
  return { ...env, GIGAFACTORY_CONFIG: configFile, ...extra };
}

interface Running {
  child: ChildProcess;
  out: Result;
  exited: Promise<Result>;
}

function start(args: string[], env: Record<string, string> = {}): Running {
  const child = spawn(NODE, [BIN, ...args], { cwd: ROOT, env: cliEnv(env), stdio: ["ignore", "pipe", "pipe"] });
  const out: Result = { code: null, stdout: "", stderr: "" };
  child.stdout!.on("data", (d) => {
    out.stdout += d;
  });
  child.stderr!.on("data", (d) => {
    out.stderr += d;
  });
  const exited = new Promise<Result>((resolve) => child.on("close", (code) => resolve({ ...out, code })));
  return { child, out, exited };
}

const cli = (...args: string[]): Promise<Result> => start(args).exited;
/** As an admin, without the config file: for setup the test is not about. */
const admin = (...args: string[]): Promise<Result> =>
  cli(...args, "--url", h.url, "--token", ADMIN, "--product", PRODUCT);

async function until(what: string, check: () => boolean | Promise<boolean>, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function manifest(name: string, text: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
}

async function submitOne(title: string): Promise<string> {
  const r = await cli("submit", manifest(`${title.replace(/\W+/g, "-")}.md`, `# ${title}\n`), "--json");
  expect(r.code).toBe(0);
  return (JSON.parse(r.stdout) as Array<{ job: { id: string } }>)[0]!.job.id;
}

const keys = (o: unknown): string[] => Object.keys(o as object).sort();

describe("gigafactory CLI against a local coordinator", () => {
  /** cli-host's factory token (enroll --direct below): it beats with it from then on, so its health reads `ok`. */
  let hostToken = "";
  /** Stops cli-host's heartbeats (beforeAll). */
  let stopBeats: (() => void) | undefined;

  beforeAll(async () => {
    h = await startHarness();
    await createProduct(h.url, PRODUCT);
    dir = mkdtempSync(path.join(tmpdir(), "gf-cli-e2e-"));
    configFile = path.join(dir, "config", "config.json");
    // cli-host is an HTTP poller no agent runs: silent 60 s, it reads down, and every job's waiting reason moves
    // (`dispatching` → `no_factory_connected`) — between two reads the --json test compares, on a box slow enough
    // (red with a 65 s pause between them). It beats from its enrollment on (long-lived.ts; no token, no beat).
    stopBeats = keepBeating(new ProductClient(h.url, PRODUCT), () => [hostToken]);
  });
  afterAll(async () => {
    stopBeats?.();
    await h?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("refuses to log in with an admin token and no --product (exit 2) and saves nothing", async () => {
    const r = await cli("login", "--url", h.url, "--token", ADMIN);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toMatch(ERROR_LINE);
    expect(r.stderr).toContain("✘ ERROR product_required:");
    expect(() => statSync(configFile)).toThrow();
  });

  it("logs in with a gf_ token, infers its product, and saves url, token and product readable by the owner only", async () => {
    const minted = await admin("tokens", "mint", "--role", "operator", "--name", "cli-e2e", "--json");
    expect(minted.code).toBe(0);
    const token = (JSON.parse(minted.stdout) as { token: string }).token;
    const r = await cli("login", "--url", `${h.url}/`, "--token", token);
    expect(r.code).toBe(0);
    // The role and the token's name come from the real coordinator's whoami.
    expect(r.stdout).toContain(`✔ Logged in to ${PRODUCT} as operator (token cli-e2e) at ${h.url} `);
    expect(statSync(configFile).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(configFile, "utf8"))).toEqual({ url: h.url, token, product: PRODUCT });
  });

  it("submits every valid manifest, reports the invalid one by file with the server's detail, and exits 1", async () => {
    const files = [
      manifest("a.md", "---\ntitle: Alpha task\npriority: high\n---\nDo alpha.\n"),
      manifest("bad.md", "---\ntitle: Broken\npriority: urgent\n---\n"),
      manifest("b.md", "# Beta task\n\nDo beta.\n"),
      manifest("c.md", "---\ntitle: Gamma task\nidempotencyKey: cli-gamma\n---\n"),
    ];
    const r = await cli("submit", ...files);
    expect(r.code).toBe(1);
    const errors = r.stderr.split("\n").filter((l) => l.startsWith("✘ ERROR"));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(ERROR_LINE);
    expect(errors[0]).toContain(`✘ ERROR invalid_manifest: ${files[1]}: invalid manifest: line 3: priority`);
    expect(r.stderr).toContain("[4/4]"); // stderr is not a TTY here: one progress line per file
    const lines = r.stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^ID\s+TITLE\s+STAGE\s+RESULT\s+FILE$/);
    expect(lines.slice(1).map((l) => l.split(/\s{2,}/))).toEqual([
      [expect.stringMatching(/^job_/), "Alpha task", "queued", "created", files[0]],
      [expect.stringMatching(/^job_/), "Beta task", "queued", "created", files[2]],
      [expect.stringMatching(/^job_/), "Gamma task", "queued", "created", files[3]],
    ]);
  });

  it("shows a resubmitted manifest with the same idempotencyKey as the existing job", async () => {
    const r = await cli("submit", path.join(dir, "c.md"));
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Gamma task\s+queued\s+existing/);
    const jobs = JSON.parse((await cli("jobs", "--json")).stdout) as { jobs: Array<{ title: string }> };
    expect(jobs.jobs.filter((j) => j.title === "Gamma task")).toHaveLength(1);
  });

  it("enroll prints a one-time agent command; the code enrolls the host once, and only once", async () => {
    const r = await cli("enroll", "code-host", "--cap", "gpu", "--seats", "2", "--json");
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { code: string; command: string; name: string };
    expect(out.code).toMatch(/^gfe_/);
    expect(out.command).toContain(
      `node_modules/.bin/node bin/gigafactory-agent.mjs enroll --url ${h.url} --product ${PRODUCT} --code ${out.code}`,
    );
    const enrollWith = (code: string) =>
      fetch(`${h.url}${P(PRODUCT)}/factories/enroll`, {
        method: "POST",
        headers: { authorization: `Bearer ${code}`, "content-type": "application/json" },
        body: JSON.stringify({ name: "code-host", capabilities: ["gpu"], seats: 2 }),
      });
    const enrolled = await enrollWith(out.code);
    expect(enrolled.status).toBe(201);
    expect((await enrollWith(out.code)).status).toBe(401);
    // Leave the fleet as the later tests expect it.
    const { factoryId } = (await enrolled.json()) as { factoryId: string };
    expect((await call(h.url, "DELETE", `${P(PRODUCT)}/factories/${factoryId}`, ADMIN)).status).toBe(200);
  });

  const beat = (token: string) =>
    fetch(`${h.url}${P(PRODUCT)}/factories/heartbeat`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: "{}",
    });

  it("enroll --direct prints a command whose one-time token the coordinator accepts for a heartbeat", async () => {
    const r = await cli("enroll", "cli-host", "--cap", "os:linux", "--cap", "has:docker", "--seats", "2", "--direct");
    expect(r.code).toBe(0);
    // `enroll --token` then `run`: the token stored in the state dir for every later plain `run` (cli-token-lines).
    const m =
      /bin\/gigafactory-agent\.mjs enroll --url (\S+) --product (\S+) --token (\S+) --name cli-host --cap os:linux --cap has:docker --seats 2 && \S+ bin\/gigafactory-agent\.mjs run$/m.exec(
        r.stdout,
      );
    expect(m?.slice(1, 3)).toEqual([h.url, PRODUCT]);
    expect(r.stdout).toContain("shown once");
    hostToken = m![3] as string;
    const res = await beat(hostToken);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { factory: { name: string } }).factory.name).toBe("cli-host");
  });

  it("keeps the --json contract: jobs, job, explain, factories and queue-state print these exact shapes", async () => {
    const jobs = JSON.parse((await cli("jobs", "--json")).stdout);
    expect(keys(jobs)).toEqual(["jobs", "nextCursor"]);
    expect(jobs.nextCursor).toBeNull();
    expect(jobs.jobs.map((j: { title: string }) => j.title).sort()).toEqual(["Alpha task", "Beta task", "Gamma task"]);
    const alpha = jobs.jobs.find((j: { title: string }) => j.title === "Alpha task");
    expect(alpha).toMatchObject({ productId: PRODUCT, stage: "queued", priority: "high", attempt: 0, maxAttempts: 3 });
    expect(alpha).not.toHaveProperty("bodyMd"); // lists carry the summary shape; `job ID` the whole document

    const page = JSON.parse((await cli("jobs", "--limit", "2", "--json")).stdout);
    expect(page.jobs).toHaveLength(2);
    expect(typeof page.nextCursor).toBe("string");
    const all = JSON.parse((await cli("jobs", "--limit", "1", "--all", "--json")).stdout);
    expect({ n: all.jobs.length, nextCursor: all.nextCursor }).toEqual({ n: 3, nextCursor: null });

    const job = JSON.parse((await cli("job", alpha.id, "--json")).stdout);
    expect(keys(job)).toEqual(["job", "runs"]);
    const { bodyMd, ...summary } = job.job;
    expect(summary).toEqual(alpha);
    expect(typeof bodyMd).toBe("string");
    expect(job.runs).toEqual([]);

    const explained = JSON.parse((await cli("explain", alpha.id, "--json")).stdout);
    expect(keys(explained)).toEqual(
      [
        "at",
        "exclusions",
        "holderFactoryId",
        "jobId",
        "preemption",
        "priority",
        "ranked",
        "rejected",
        "routingPolicy", // issue 11: the experiment arm or winner that routes this job, null when none
        "stage",
        "urgency",
        "waitingReason",
        "weights",
      ].sort(),
    );
    expect(explained).toMatchObject({
      jobId: alpha.id,
      stage: "queued",
      priority: "high",
      holderFactoryId: null,
      exclusions: [],
    });
    const candidate = [...explained.ranked, ...explained.rejected].find(
      (c: { factoryName: string }) => c.factoryName === "cli-host",
    );
    // `track`: the learned term's evidence (issue 11: n, success rate, interval), beside the terms.
    expect(keys(candidate)).toEqual(["eligible", "factoryId", "factoryName", "reasons", "score", "terms", "track"]);
    type Term = { raw: number; weight: number; contribution: number };
    for (const [name, t] of Object.entries(candidate.terms) as Array<[string, Term]>) {
      // The learned term is centred on neutral (0.5): it adds weight × (raw − 0.5); the others weight × raw.
      const expected = name === "track" ? t.weight * (t.raw - 0.5) : t.raw * t.weight;
      expect(Math.abs(t.contribution)).toBeCloseTo(Math.abs(expected), 9);
    }

    expect((await beat(hostToken)).status).toBe(200); // fresh, as in the tables test below
    const factories = JSON.parse((await cli("factories", "--json")).stdout);
    expect(keys(factories)).toEqual(["factories"]);
    expect(factories.factories).toHaveLength(1);
    expect(factories.factories[0]).toMatchObject({
      name: "cli-host",
      capabilities: ["has:docker", "os:linux"],
      seats: 2,
      load: 0,
      status: "active",
      health: "ok",
      connected: true,
      disconnectedAt: null,
    });

    const state = JSON.parse((await cli("queue-state", "--json")).stdout);
    expect(keys(state)).toEqual(["version"]);
    expect(state.version).toBeGreaterThanOrEqual(3);
  });

  it("prints jobs, one job and the factories as tables with the documented columns", async () => {
    const long = "A deliberately long job title that cannot fit in the title column";
    const id = await submitOne(long);
    const jobs = (await cli("jobs")).stdout.trim().split("\n");
    expect(jobs[0]).toMatch(/^ID\s+STAGE\s+PRIORITY\s+TITLE\s+ATTEMPT\s+HOLDER\s+AGE\s+WAITING$/);
    const row = jobs.find((l) => l.startsWith(id))!;
    expect(row.split(/\s{2,}/)).toEqual([
      id,
      "queued",
      "medium",
      `${long.slice(0, 39)}…`,
      "0/3",
      "—",
      expect.stringMatching(/^\d+[smhd]$/),
      expect.stringMatching(/^(dispatching|no_factory_connected|all_seats_busy): /), // why it waits (core/waiting)
    ]);

    const detail = (await cli("job", id)).stdout;
    expect(detail.split("\n")[0]).toBe(`${id}  ${long}`);
    for (const label of [
      "stage",
      "priority",
      "requires",
      "prefers",
      "engine",
      "repo",
      "attempt",
      "lease epoch",
      "holder",
      "checkpoint",
      "last result",
    ]) {
      expect(detail).toMatch(new RegExp(`^  ${label} +\\S`, "m"));
    }
    expect(detail).toMatch(/^ {2}attempt +0\/3$/m);
    expect(detail).toMatch(/\nRUNS\n {2}no runs yet\n$/);

    // A fresh beat: on a loaded machine the tests before this one outlast the heartbeat's freshness (CI saw
    // `degraded`, 32 s after the last beat), and this test is about the columns, not about staleness.
    expect((await beat(hostToken)).status).toBe(200);
    const factories = (await cli("factories")).stdout.trim().split("\n");
    expect(factories[0]).toMatch(
      /^ID\s+NAME\s+STATUS\s+HEALTH\s+LINK\s+LOAD\/SEATS\s+CAPABILITIES\s+LAST HEARTBEAT\s+BREAKERS$/,
    );
    // An HTTP poller (it beats, no socket): connected while its beats keep it up.
    expect(factories[1]).toMatch(/cli-host\s+active\s+ok\s+connected\s+0\/2\s+has:docker,os:linux\s+\d+s ago\s+-$/);
  });

  it("cancels a job, which then shows as cancelled, and refuses a second cancel as an illegal transition", async () => {
    const id = await submitOne("Cancel me");
    const r = await cli("cancel", id, "--note", "no longer needed");
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(`✔ cancel: job ${id} is now cancelled`);
    expect(JSON.parse((await cli("job", id, "--json")).stdout).job.stage).toBe("cancelled");
    const again = await cli("cancel", id);
    expect(again.code).toBe(1);
    expect(again.stderr.trim()).toMatch(ERROR_LINE);
    expect(again.stderr).toMatch(/^✘ ERROR illegal_transition: /);
  });

  it("watches a job live, one `#seq  HH:MM:SS  type  summary` line per event, and exits 0 when it is cancelled", async () => {
    const id = await submitOne("Watch me");
    const w = start(["watch", id]);
    await until("the first event line", () => w.out.stdout.includes("job.submitted"));
    expect((await cli("cancel", id)).code).toBe(0);
    const r = await w.exited;
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^#1 {2}\d\d:\d\d:\d\d {2}job\.submitted {2}\S/);
    // The cancel's own reason follows its move (cli/event-text `resultReason`), and a line on stderr closes the watch.
    expect(lines.at(-1)).toMatch(/^#\d+ {2}\d\d:\d\d:\d\d {2}job\.stage {2}queued → cancelled — cancelled by \S+$/);
    expect(r.stderr).toMatch(new RegExp(`job ${id} ended cancelled — cancelled by \\S+`));
    expect(lines.map((l) => Number(/^#(\d+)/.exec(l)?.[1]))).toEqual(lines.map((_, i) => i + 1));

    const later = await cli("watch", id, "--json", "--after", "1");
    expect(later.code).toBe(0);
    const events = later.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(events.length).toBe(lines.length - 1);
    for (const [i, e] of events.entries()) {
      expect(keys(e)).toEqual(["at", "data", "seq", "type"]);
      expect(e.seq).toBe(i + 2);
    }
    expect(events.at(-1)).toMatchObject({ type: "job.stage", data: { from: "queued", to: "cancelled" } });
  });

  it("keeps watching across a coordinator crash and restart without repeating or losing an event", async () => {
    const id = await submitOne("Survive a crash");
    const w = start(["watch", id, "--json"]);
    await until("the first event", () => w.out.stdout.includes('"job.submitted"'));
    await h.restart("crash");
    expect((await cli("cancel", id)).code).toBe(0);
    const r = await w.exited;
    expect(r.code).toBe(0);
    const events = r.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { seq: number; type: string });
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    expect(events.at(-1)).toMatchObject({ type: "job.stage", data: { to: "cancelled" } });
  });

  it("reports a refused token as `✘ ERROR unauthorized: …` with exit 1, and on stdout only --json's error document", async () => {
    for (const extra of [[], ["--json"]]) {
      const r = await cli("jobs", "--token", `gf_${PRODUCT}_${"x".repeat(43)}`, ...extra);
      expect(r.code).toBe(1);
      if (extra.length === 0) expect(r.stdout).toBe("");
      else expect(JSON.parse(r.stdout)).toMatchObject({ error: { code: "unauthorized", exitCode: 1 } });
      expect(r.stderr.trim()).toMatch(ERROR_LINE);
      expect(r.stderr).toMatch(/^✘ ERROR unauthorized: /);
    }
  });

  it("exits 2 with `✘ ERROR usage: …` for a command line it cannot run, and 0 for --help", async () => {
    for (const args of [["jobs", "--limit", "0"], ["cancel"], ["frobnicate"], ["jobs", "--stage", "done"]]) {
      const r = await cli(...args);
      expect({ args, code: r.code }).toEqual({ args, code: 2 });
      expect(r.stderr.trim()).toMatch(ERROR_LINE);
      expect(r.stderr).toMatch(/^✘ ERROR usage: /);
    }
    const help = await cli("watch", "--help");
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("Usage: gigafactory watch ID");
    expect(help.stdout).toContain("--follow");
  });

  it("drains a factory and returns it to rotation, and the audit history records both", async () => {
    const id = (JSON.parse((await cli("factories", "--json")).stdout) as { factories: Array<{ id: string }> })
      .factories[0]!.id;
    expect((await cli("factory", "drain", id)).stdout).toContain("is now draining");
    expect(JSON.parse((await cli("factory", "activate", id, "--json")).stdout).status).toBe("active");
    // History reaches D1 through the outbox a moment later.
    let actions: string[] = [];
    await until("the audit records", async () => {
      const page = JSON.parse((await admin("history", "--kind", "audit", "--json")).stdout);
      expect(keys(page)).toEqual(["items", "kind", "more", "nextCursor"]);
      actions = page.items.filter((i: { target: string }) => i.target === id).map((i: { action: string }) => i.action);
      return actions.includes("factory.active");
    });
    expect(actions).toEqual(expect.arrayContaining(["factory.enroll", "factory.draining", "factory.active"]));
  });
});
