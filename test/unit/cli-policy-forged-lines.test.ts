// Text from the coordinator cannot forge a line of the policy commands' output: a newline in a job's id or stage (a
// review's ✔ line, the reviews headline, a tree's line), a rule's factory, an experiment's class or decision, a
// serial key's freeze reason, a frozen key in the settings, a token's name, a feed event's type, stage or stream, or
// a waiting reason in watch's "waits for an operator" note printed a line of its own — a forged `✔ …` or `#99 …
// shipped` — where one line was meant. Each such text now stays on its line, its newline read as a space; and a bidi
// override in it (U+202E), which made a terminal draw the rest of the line reversed, is shown as U+FFFD — in the
// tables these commands print too.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it, onTestFinished } from "vitest";
import { DEFAULT_SETTINGS } from "../../src/core/settings.ts";
import { captureCli, connection, stubCoordinator } from "../support/cli-harness.ts";

const RLO = "\u202e";
const NL = `\n${RLO}✔ FORGED`;
/** Lines the server's text forged, and every bidi control left in the output (none may be). */
const forgedLines = (text: string): string[] => [
  ...text.split("\n").filter((l) => l.startsWith("✔ FORGED") || l.startsWith(`${RLO}✔ FORGED`)),
  ...(text.match(/[\u202a-\u202e\u2066-\u2069]/g) ?? []),
];

const GATE = {
  key: "repo/main",
  holder: null,
  queue: [],
  queueLength: 0,
  frozen: { by: "ops", reason: `r${NL}`, at: 0 },
};
const ARM = { policy: {}, n: 0, successes: 0, successRate: null, meanCostUsd: null };
const EXPERIMENT = {
  id: "ex_1",
  jobClass: `docs${NL}`,
  status: "stopped",
  split: 0.5,
  guardrail: { metric: "success_rate", margin: 0.1, confidence: 0.95 },
  minSamples: 20,
  startedAt: 0,
  startedBy: `ops${NL}`,
  looks: 0,
  arms: { A: ARM, B: ARM },
  decision: { at: 0, by: "operator", reason: `stopped${NL}` },
};
const SETTINGS = {
  ...DEFAULT_SETTINGS,
  aging: { message: `holds${NL}` },
  weights: { [`load${NL}`]: 1 },
  frozenSerialKeys: [`k${NL}`],
};
const NODE = { title: "t", kind: "task", waitingReason: null, children: [] };
const TREE = {
  root: {
    ...NODE,
    id: `job_1${NL}`,
    stage: "running",
    kind: "composite",
    deps: [],
    truncated: true,
    children: [{ ...NODE, id: `job_2${NL}`, stage: `queued${NL}`, deps: [`job_3${NL}`], truncated: true }],
  },
};
const REVIEWS = { jobId: `job_1${NL}`, stage: `review${NL}`, round: 1, required: 2, approvals: 1, reviews: [] };

const ANSWERS: Array<{ argv: string[]; doc: unknown }> = [
  { argv: ["review", "approve", "job_1"], doc: { ...REVIEWS, job: { id: `job_1${NL}`, stage: `review${NL}` } } },
  { argv: ["reviews", "job_1"], doc: REVIEWS },
  { argv: ["routing", "unapply", "rr_1"], doc: { id: `rr_1${NL}`, effect: "avoid", factoryId: `box${NL}` } },
  { argv: ["routing", "experiment", "show", "ex_1"], doc: EXPERIMENT },
  { argv: ["routing", "experiment", "stop", "ex_1"], doc: EXPERIMENT },
  { argv: ["serial", "freeze", "repo/main", "--reason", "r"], doc: GATE },
  { argv: ["settings"], doc: SETTINGS },
  {
    argv: ["tokens", "mint", "--role", "viewer", "--name", "ci"],
    doc: { id: "tok_1", role: "viewer", name: `ci${NL}`, token: "gf_x" },
  },
  { argv: ["tokens", "revoke", "tok_1"], doc: { id: "tok_1", role: "viewer", name: `ci${NL}` } },
  { argv: ["tree", "job_1"], doc: TREE },
  // Tables fold a newline already; a bidi control in a cell is shown as U+FFFD too.
  { argv: ["serial", "list"], doc: { keys: [GATE] } },
  { argv: ["tokens"], doc: { tokens: [{ id: "tok_1", role: "viewer", name: `ci${NL}`, createdAt: 0 }] } },
  { argv: ["routing", "rules"], doc: { rules: [{ id: "rr_1", effect: "avoid", factoryId: "f", reason: `r${NL}` }] } },
  {
    argv: ["reviews", "job_1"],
    doc: {
      ...REVIEWS,
      reviews: [{ at: 0, reviewer: "tok_1", reviewerName: `ann${NL}`, verdict: "approve", counted: true }],
    },
  },
];

describe("a newline in the server's text", () => {
  it.each(ANSWERS)("$argv: stays on its line", async ({ argv, doc }) => {
    const { url } = await stubCoordinator((_req, reply) => reply.json(200, doc));
    const r = await captureCli([...argv, ...connection(url, "shop")]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("✔ FORGED"); // shown, as text on the line it belongs to
    expect(forgedLines(r.stdout)).toEqual([]);
  });
});

/** A coordinator whose job is `stage` and whose feed sends `frames` then ends. */
async function feed(job: Record<string, unknown>, frames: string): Promise<string> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "", "http://x");
    const stream = url.pathname.endsWith("/events/stream");
    res.writeHead(200, { "content-type": stream ? "text/event-stream" : "application/json" });
    if (stream) res.end(frames);
    else res.end(JSON.stringify(url.pathname.endsWith("/events") ? { events: [], lastSeq: 0 } : job));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  onTestFinished(() => new Promise<void>((r) => server.close(() => r())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const frame = (e: unknown): string => `data: ${JSON.stringify(e)}\n\n`;

describe("watch", () => {
  it("prints a feed event's type, stage and stream on its own line, whatever newline they hold", async () => {
    const url = await feed(
      { id: "job_1", stage: "building" },
      frame({ seq: 1, type: `x${NL}`, at: 0, data: {} }) +
        frame({ seq: 2, type: "job.stage", at: 0, data: { to: `review${NL}` } }) +
        frame({ seq: 3, type: "log", at: 0, data: { lines: [{ stream: `out${NL}`, text: "hi" }] } }) +
        frame({ seq: 4, type: "job.stage", at: 0, data: { to: "shipped" } }),
    );
    const r = await captureCli(["watch", "job_1", ...connection(url, "shop")]);
    expect(r.code).toBe(0);
    expect(
      r.stdout
        .split("\n")
        .filter(Boolean)
        .map((l) => l.slice(0, 3)),
    ).toEqual(["#1 ", "#2 ", "#3 ", "#4 "]);
    expect(forgedLines(r.stdout)).toEqual([]);
  });

  it("keeps the waiting reason on the one line that says the job waits for an operator", async () => {
    const url = await feed({ id: "job_1", stage: "review", waitingReason: { message: `needs 2${NL}` } }, "");
    const r = await captureCli(["watch", "job_1", ...connection(url, "shop")]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("✔ FORGED");
    expect(forgedLines(r.stderr)).toEqual([]);
  });
});
