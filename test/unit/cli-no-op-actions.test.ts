// The CLI says when an operator action did nothing (found by a reviewer: each printed ✔ as if it had acted), over a
// real local socket: when the coordinator answers `changed: false`, `budget pause|resume`, `serial freeze|unfreeze`,
// `factory approve`, `routing experiment stop` and `lessons archive|restore|edit` print a plain "already …" / "unchanged" line with no ✔ and
// exit 0; with `changed: true` (or an older coordinator's answer without the field) the ✔ line as before; under
// --json the API's document, `changed` included.
import { describe, expect, it } from "vitest";
import { captureCli, connection, stubCoordinator } from "../support/cli-harness.ts";

const AT = Date.UTC(2026, 11, 1, 12);
const BUDGET = {
  period: "day",
  ceilingUsd: 10,
  spentUsd: 1,
  state: "ok",
  periodStart: Date.UTC(2026, 11, 1),
  periodEnd: Date.UTC(2026, 11, 2),
  onExhausted: "pause",
  warnAtUsd: 8,
  burndown: [],
};
const GATE = { key: "never/frozen", holder: null, stopping: null, queue: [], queueLength: 0, frozen: null };
const FACTORY = {
  id: "fac_1",
  productId: "p",
  name: "f1",
  capabilities: ["lang:ts"],
  pendingCapabilities: [],
  seats: 2,
  seatLimit: 2,
  status: "active",
};
const EXPERIMENT = {
  id: "ex_1",
  jobClass: "docs",
  status: "stopped",
  split: 0.5,
  guardrail: { metric: "success_rate", margin: 0.1, confidence: 0.95 },
  looks: 0,
  arms: {
    A: { policy: {}, n: 0, successes: 0, successRate: null, meanCostUsd: null },
    B: { policy: { weights: { load: 2 } }, n: 0, successes: 0, successRate: null, meanCostUsd: null },
  },
  decision: { by: "operator", reason: "stopped by admin before the guardrail decided" },
};
const LESSON = {
  id: "les_0000000001abc",
  text: "run npm ci first",
  source: "operator",
  capabilities: [],
  count: 1,
  createdAt: AT,
  updatedAt: AT,
  createdBy: "admin",
  archived: true,
};

/** A stand-in answering every action with its document and `changed` (left out when undefined: an older server). */
async function coordinator(changed: boolean | undefined): Promise<string> {
  const { url } = await stubCoordinator((req, reply) => {
    const doc = req.url.includes("/budget/")
      ? { ...BUDGET, ...(req.url.endsWith("/pause") ? { state: "paused", pausedBy: "operator" } : {}) }
      : req.url.includes("/serial/")
        ? GATE
        : req.url.includes("/capabilities/approve")
          ? FACTORY
          : req.url.includes("/routing/experiments/")
            ? EXPERIMENT
            : LESSON;
    reply.json(200, changed === undefined ? doc : { ...doc, changed });
  });
  return url;
}

const COMMANDS: Array<{ argv: string[]; done: RegExp; noop: RegExp }> = [
  { argv: ["budget", "resume"], done: /^✔ Budget resumed\n/, noop: /^already running: the budget was not paused/ },
  { argv: ["budget", "pause"], done: /^✔ Budget paused/, noop: /^already paused by an operator\n/ },
  {
    argv: ["serial", "freeze", "never/frozen", "--reason", "r"],
    done: /^✔ frozen — /,
    noop: /^already frozen for this/,
  },
  { argv: ["serial", "unfreeze", "never/frozen"], done: /^✔ unfrozen — /, noop: /^already unfrozen \(it was not/ },
  {
    argv: ["factory", "approve", "fac_1"],
    done: /^✔ factory f1 /,
    noop: /^already so: nothing was pending — factory f1/,
  },
  { argv: ["routing", "experiment", "stop", "ex_1"], done: /^✔ stopped ex_1\n/, noop: /^already stopped ex_1\n/ },
  { argv: ["lessons", "archive", LESSON.id], done: /^✔ archived — /, noop: /^already archived — les_/ },
  {
    argv: ["lessons", "restore", LESSON.id],
    done: /^✔ restored — /,
    noop: /^not archived \(nothing to restore\) — les_/,
  },
  { argv: ["lessons", "edit", LESSON.id, "--text", "x"], done: /^✔ edited — /, noop: /^unchanged \(already so\) — / },
];

const cli = (url: string, argv: string[]) => captureCli([...argv, ...connection(url, "p")], { now: AT });

describe("an action that changed nothing says so", () => {
  it.each(COMMANDS)("$argv: changed false → a plain line, no ✔, exit 0; --json carries changed", async (c) => {
    const url = await coordinator(false);
    const run = await cli(url, c.argv);
    expect(run).toMatchObject({ code: 0, stderr: "" });
    expect(run.stdout).toMatch(c.noop);
    expect(run.stdout).not.toContain("✔");
    const json = await cli(url, [...c.argv, "--json"]);
    expect(JSON.parse(json.stdout)).toMatchObject({ changed: false });
  });

  it.each(COMMANDS)("$argv: changed true, or no field (an older coordinator) → the ✔ line", async (c) => {
    for (const changed of [true, undefined]) {
      const run = await cli(await coordinator(changed), c.argv);
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(c.done);
    }
  });
});
