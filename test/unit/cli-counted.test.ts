// A count printed with its noun agrees with it (core/counted), in the CLI's and the agent's words: a terminal's
// `jobs --all` counter said "… 1 jobs read", settings "open after 1 failures", a batch "1 items", and lines such as
// "2 job(s) requeued" or "1 seat(s)" read as a form nobody finished. The source scan keeps the two kinds out of
// src/cli/** and src/agent/**: a `(s)`-style plural after a count, and a list's length followed by a plural noun.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { batchSummary } from "../../src/cli/commands/batch.ts";
import { formatSettings } from "../../src/cli/commands/settings.ts";
import { counted } from "../../src/core/counted.ts";
import { withDefaults } from "../../src/core/settings.ts";
import { connection, runCli, stubCoordinator } from "../support/cli-harness.ts";

const ROOT = path.resolve(import.meta.dirname, "../..");

function sources(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir), { recursive: true, encoding: "utf8" })
    .filter((f) => /\.(ts|m?js)$/.test(f) && !f.startsWith("vendor"))
    .map((f) => path.join(dir, f));
}

describe("counted", () => {
  it("agrees in number, an irregular plural given", () => {
    expect([0, 1, 2].map((n) => counted(n, "job"))).toEqual(["0 jobs", "1 job", "2 jobs"]);
    expect(counted(1, "factory", "factories")).toBe("1 factory");
    expect(counted(3, "factory", "factories")).toBe("3 factories");
  });

  it("is what the CLI prints for one of a thing", async () => {
    const settings = withDefaults({ breaker: { failureThreshold: 1 }, errorBudget: { maxFailures: 1 } } as never);
    const text = formatSettings({ ...settings, routing: { ...settings.routing, minSamples: 1 } } as never);
    expect(text).toMatch(/^breaker\s+open after 1 failure · /m);
    expect(text).toMatch(/^errorBudget\s+quarantine after more than 1 failure in /m);
    expect(text).toMatch(/a record counts from 1 run$/m);
    const batch = { id: "b-1", total: 1, created: 1, queued: 0, rejected: 0, done: true, items: [] };
    expect(batchSummary(batch as never)).toBe("batch b-1: 1 item — 1 created · 0 on their way · 0 rejected (done)");
  });

  it("counts one job read on a terminal as one job", async () => {
    const one = {
      id: "job_1",
      title: "t",
      stage: "queued",
      priority: "normal",
      attempt: 0,
      maxAttempts: 3,
      createdAt: 0,
    };
    // Two pages, one job in all: the counter is drawn after a page with a next one.
    const stub = await stubCoordinator((req, reply) =>
      reply.json(200, req.url.includes("cursor=") ? { jobs: [] } : { jobs: [one], nextCursor: "c" }),
    );
    let stderr = "";
    const code = await runCli(["jobs", "--all", ...connection(stub.url, "p")], {
      stdout: () => {},
      stderr: (t) => {
        stderr += t;
      },
      stderrIsTTY: true,
      env: { HOME: "/nonexistent", GIGAFACTORY_CONFIG: "/nonexistent/config.json" },
      now: () => 0,
    });
    expect(code).toBe(0);
    expect(stderr).toContain("… 1 job read");
  });

  it("no count in src/, dashboard/ or examples/ is followed by a (s)-style plural or a list's length by a plural noun", () => {
    const unfinished = /\$\{[^}]+\}\)? [a-z ]*[a-z]\((s|es|ies)\)/;
    const lengthThenPlural = /\$\{[\w.]+\.(length|size)\} (?!bytes\b)[a-z]+s\b(?!=)/; // not a log's `count=… ids=…`
    // The whole of what users read: the coordinator's alert, quarantine and breaker texts and the dashboard's too
    // ("0 open alert(s)", "more than 1 failed run(s)") — not only the CLI's and the agent's; and the sample engine's
    // log lines a newcomer's `watch` shows first ("resuming from an earlier run's work (1 run(s) in NOTES.md)").
    const found = [...sources("src"), ...sources("dashboard"), ...sources("examples")].flatMap((file) =>
      readFileSync(path.join(ROOT, file), "utf8")
        .split("\n")
        .map((line, i) => ({ where: `${file}:${i + 1}`, line }))
        .filter(({ line }) => unfinished.test(line) || lengthThenPlural.test(line))
        .map(({ where, line }) => `${where}: ${line.trim()}`),
    );
    expect(found).toEqual([]);
  });
});
