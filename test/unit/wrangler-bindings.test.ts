// wrangler.toml, as wrangler itself reads it, declares exactly the bindings the Worker's `Env` (src/env.d.ts) names,
// each of the right kind: every Durable Object class bound, exported by `main` and created by a migration tag; every
// queue producer consumed, every consumer with a dead-letter queue that is consumed in turn, and every consumed queue
// routed to a handler branch (not to the "no consumer" fallback, which retries forever); D1 with its migrations
// directory, R2, the assets binding, the vars, and the cron the reaper's safety net needs. And the README's deploy
// steps create every resource wrangler.toml names (each queue, the bucket, the database) and set every secret the Env
// reads but the vars do not hold — so `wrangler deploy` run after them as written finds nothing missing.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it, vi } from "vitest";
import type { Unstable_Config } from "wrangler";
import { handleQueue } from "../../src/worker/queues/consumers.ts";

const ROOT = path.join(import.meta.dirname, "../..");

/**
 * wrangler.toml as wrangler reads it for a deploy (its own parser and defaults), read in a child process: importing
 * wrangler installs its bundled undici as the process's fetch, which must not leak into other test files.
 */
const config: Unstable_Config = JSON.parse(
  execFileSync(
    process.execPath,
    [
      "--input-type=module",
      "-e",
      `import { unstable_readConfig } from "wrangler";
       process.stdout.write(JSON.stringify(unstable_readConfig({ config: "wrangler.toml" }, { hideWarnings: true })));`,
    ],
    { cwd: ROOT, encoding: "utf8" },
  ),
);

/** `Env`'s members (name → declared type, `?` for optional), read from src/env.d.ts. */
function envMembers(): Map<string, { type: string; optional: boolean }> {
  const text = readFileSync(path.join(ROOT, "src/env.d.ts"), "utf8");
  const body = /interface Env \{([\s\S]*?)\n {2}\}/.exec(text)?.[1] ?? "";
  const out = new Map<string, { type: string; optional: boolean }>();
  for (const m of body.matchAll(/^ {4}([A-Z][A-Z0-9_]*)(\?)?: ([^;]+);/gm)) {
    out.set(m[1] as string, { type: (m[3] as string).trim(), optional: m[2] === "?" });
  }
  return out;
}

const ENV = envMembers();
const ofKind = (prefix: string) =>
  [...ENV]
    .filter(([, v]) => v.type.startsWith(prefix))
    .map(([k]) => k)
    .sort();

/** The deploy section's shell block of the README. */
function deploySteps(): string[] {
  const readme = readFileSync(path.join(ROOT, "README.md"), "utf8");
  const section = readme.split("### Deploy to Cloudflare")[1]?.split(/\n#{2,3} /)[0] ?? "";
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1] ?? "";
  return block.split(/\n|&&/).map((l) => l.replace(/#.*$/, "").trim());
}

describe("wrangler.toml against the Env the code reads", () => {
  it("names every binding Env declares, each of its kind, and none Env does not", () => {
    expect(ENV.size).toBeGreaterThan(0);
    expect(config.durable_objects.bindings.map((b) => b.name).sort()).toEqual(ofKind("DurableObjectNamespace<"));
    expect(config.d1_databases.map((b) => b.binding).sort()).toEqual(ofKind("D1Database"));
    expect(config.r2_buckets.map((b) => b.binding).sort()).toEqual(ofKind("R2Bucket"));
    expect((config.queues.producers ?? []).map((b) => b.binding).sort()).toEqual(ofKind("Queue<"));
    expect([config.assets?.binding]).toEqual(ofKind("Fetcher"));
    // Strings: the vars, and secrets (optional in Env: the code works, refusing what needs them, until one is put).
    const strings = ofKind("string");
    for (const v of Object.keys(config.vars)) expect(strings, `var ${v}`).toContain(v);
    for (const s of strings) {
      if (!(s in config.vars)) expect(ENV.get(s)?.optional, `${s}: neither a var nor an optional secret`).toBe(true);
    }
    const kinds = ["DurableObjectNamespace<", "D1Database", "R2Bucket", "Queue<", "Fetcher", "string"];
    expect([...ENV].filter(([, v]) => !kinds.some((k) => v.type.startsWith(k)))).toEqual([]);
  });

  it("binds each Durable Object class that main exports, each created by exactly one migration and never deleted", () => {
    const main = readFileSync(config.main ?? "", "utf8");
    const classes = config.durable_objects.bindings.map((b) => b.class_name);
    for (const c of classes) expect(main, `main exports ${c}`).toMatch(new RegExp(`export \\{ ${c} \\}`));
    const tags = config.migrations.map((m) => m.tag);
    expect(new Set(tags).size).toBe(tags.length);
    const created = config.migrations.flatMap((m) => [...(m.new_sqlite_classes ?? []), ...(m.new_classes ?? [])]);
    // SQLite-backed: the coordinator and the feed use `ctx.storage.sql`, which a KV-backed class has not.
    expect(config.migrations.flatMap((m) => m.new_classes ?? [])).toEqual([]);
    expect(created.sort()).toEqual([...classes].sort());
    expect(config.migrations.flatMap((m) => m.deleted_classes ?? [])).toEqual([]);
  });

  it("consumes every queue it produces to, each with a consumed dead-letter queue, each routed to a handler", async () => {
    const consumers = config.queues.consumers ?? [];
    const consumed = new Set(consumers.map((c) => c.queue));
    for (const p of config.queues.producers ?? []) expect(consumed, `consumer of ${p.queue}`).toContain(p.queue);
    const dlqs = new Set(consumers.flatMap((c) => (c.dead_letter_queue ? [c.dead_letter_queue] : [])));
    for (const c of consumers) {
      if (!dlqs.has(c.queue)) expect(c.dead_letter_queue, `${c.queue} has a dead-letter queue`).toBeTruthy();
    }
    for (const d of dlqs) expect(consumed, `consumer of the dead-letter queue ${d}`).toContain(d);
    // The "no consumer" fallback says so (and retries each message, backed off): no consumed queue may reach it.
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    const fallbacks = async (queue: string) => {
      warn.mockClear();
      const batch = { queue, messages: [], retryAll: vi.fn(), ackAll: vi.fn() } as unknown as MessageBatch;
      await handleQueue(batch, {} as Env);
      return warn.mock.calls.filter((a) => String(a[0]).startsWith("no consumer for queue")).length;
    };
    try {
      expect(await fallbacks("gigafactory-no-such-queue"), "the fallback is recognised").toBe(1);
      for (const queue of consumed) expect(await fallbacks(queue), `${queue} reaches a consumer branch`).toBe(0);
    } finally {
      warn.mockRestore();
    }
  });

  it("keeps D1's migrations where it says, and fires the reaper's cron into a scheduled handler", () => {
    for (const d of config.d1_databases) {
      expect(existsSync(path.join(ROOT, d.migrations_dir ?? "migrations")), d.binding).toBe(true);
    }
    expect(config.triggers.crons?.length).toBeGreaterThan(0);
    expect(readFileSync(config.main ?? "", "utf8")).toMatch(/\bscheduled\(/);
  });
});

describe("the README's deploy steps", () => {
  const steps = deploySteps();
  /** The first argument of each `npx wrangler CMD ARG …` step. */
  const run = (cmd: string) =>
    steps
      .filter((s) => s.startsWith(`npx wrangler ${cmd} `))
      .map((s) => s.slice(`npx wrangler ${cmd} `.length).split(/\s+/)[0] ?? "");

  it("create every queue, the bucket and the database wrangler.toml names", () => {
    const queues = new Set<string>();
    for (const c of config.queues.consumers ?? []) {
      queues.add(c.queue);
      if (c.dead_letter_queue) queues.add(c.dead_letter_queue);
    }
    for (const p of config.queues.producers ?? []) if (p.queue) queues.add(p.queue);
    expect(run("queues create").sort()).toEqual([...queues].sort());
    expect(run("r2 bucket create")).toEqual(config.r2_buckets.map((b) => b.bucket_name));
    expect(run("d1 create")).toEqual(config.d1_databases.map((d) => d.database_name));
  });

  it("put every secret Env reads that no var holds, apply the migrations, then deploy", () => {
    const secrets = ofKind("string").filter((s) => !(s in config.vars));
    expect(run("secret put").sort()).toEqual(secrets);
    const apply = steps.findIndex((s) => s.startsWith("npx wrangler d1 migrations apply DB --remote"));
    expect(apply).toBeGreaterThanOrEqual(0);
    expect(steps.at(-1) === "" ? steps.at(-2) : steps.at(-1)).toBe("npx wrangler deploy");
  });
});
