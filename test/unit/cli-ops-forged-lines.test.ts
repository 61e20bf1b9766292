// Text in an operator command's answer cannot forge a line of its output, nor reorder one: a factory's name, a job's
// id or stage, an alert's subject, a lesson's text, a routing reason — each holding `\n✔ forged …` and a bidi
// override (U+202E) — prints on its own line, the newline as a space and the override as U+FFFD, in every command of
// the area (alerts, health, batch, children, enrollment-codes, explain, factory changes, job actions, lessons,
// products). Before, `✔ factory box` was followed by a forged `✔ forged …` line, and an override reversed the rest of
// the line as the terminal showed it.
import { writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { captureCli, connection, stubCoordinator } from "../support/cli-harness.ts";
import { testTempDir } from "../support/temp-dir.ts";

const F = "\n✔ forged line\u202e";
const ALERT = "al_0123456789ab";
const AT = Date.UTC(2026, 0, 2, 3, 4, 5);

const alert = { id: ALERT, state: "open", severity: "warning", kind: `stuck${F}`, subject: `job_1${F}`, openedAt: AT };
const lesson = { id: "les_1", source: "auto", text: `lint first${F}`, capabilities: [`gpu${F}`], count: 1 };
const explanation = {
  jobId: `job_1${F}`,
  stage: "queued",
  priority: "high",
  urgency: 1,
  at: AT,
  holderFactoryId: `fac_9${F}`,
  routingPolicy: { experimentId: `ex_1${F}`, arm: "A", as: "arm" },
  waitingReason: null,
  preemption: { preemptedBy: `job_c${F}`, preemptedAt: AT, wouldPreempt: null },
  ranked: [
    {
      factoryId: "fac_1",
      factoryName: `box${F}`,
      score: 1,
      terms: { [`load${F}`]: { raw: 1, weight: 1, contribution: 1 } },
      track: { engine: `claude${F}`, jobClass: "c", n: 0, neutral: true },
      rules: { rules: [{ id: "r1", effect: "prefer", reason: `why${F}` }], adjustment: 0.1 },
    },
  ],
  rejected: [{ factoryId: "fac_2", factoryName: "b", reasons: [`down${F}`] }],
  exclusions: [{ factoryId: "fac_3", kind: `expired${F}`, strikes: 1, until: AT + 1 }],
};
const health = {
  status: `healthy${F}`,
  factories: { ok: 1, degraded: 0, down: 0 },
  openAlerts: { total: 0, critical: 0, warning: 0, info: 0 },
  queued: 0,
  inBackoff: 0,
  oldestQueuedAt: null,
  building: 0,
  lastFinishedAt: null,
  thresholds: { stuckAfterMinutes: 1, starvingAfterMinutes: 1, expectedFinishIntervalMinutes: 1 },
};
const factory = { id: "fac_1", name: `box${F}`, status: `draining${F}`, capabilities: [`gpu${F}`], seats: 1 };
const batch = { id: `b-1${F}`, total: 1, created: 1, queued: 0, rejected: 0, done: true };

/** Each command with the answer its stand-in coordinator gives. */
const CASES: Array<[string[], unknown]> = [
  [["alerts"], { alerts: [{ ...alert, message: `m${F}` }] }],
  [["alerts", "--ack", ALERT], { ...alert, message: "m", acknowledgedBy: `ops${F}` }],
  [["health"], health],
  [["batch", "b-1"], { ...batch, items: [{ index: 0, status: "created", jobId: `job_1${F}`, key: `k${F}` }] }],
  [["enrollment-codes"], { codes: [{ id: `c1${F}`, name: `box${F}`, createdAt: AT, expiresAt: AT }] }],
  [["enrollment-codes", "revoke", "c1"], { id: `c1${F}`, changed: false, state: `used${F}` }],
  [["explain", "job_1"], explanation],
  [["factory", "drain", "fac_1"], factory],
  [["factory", "approve", "fac_1"], { ...factory, pendingCapabilities: [`tpu${F}`] }],
  [["factory", "release", "fac_1"], factory],
  [["factory", "revoke", "fac_1"], factory],
  [["factory", "rotate", "fac_1"], { factoryId: `fac_1${F}`, token: "gf_x", factory: { ...factory, seats: 1 } }],
  [["cancel", "job_1"], { id: `job_1${F}`, stage: `cancelled${F}` }],
  [["lessons", "list"], { items: [{ ...lesson, updatedAt: AT }] }],
  [["lessons", "add", "x"], { ...lesson, updatedAt: AT }],
  [["lessons", "edit", "les_1", "--text", "x"], { ...lesson, updatedAt: AT, engine: `e${F}` }],
  [["lessons", "archive", "les_1"], { ...lesson, updatedAt: AT, serialKey: `k${F}`, archived: true }],
  [["lessons", "restore", "les_1"], { ...lesson, updatedAt: AT, serialKey: `k${F}` }],
  [["products"], { products: [{ id: `shop${F}`, createdAt: AT }] }],
  [["products", "create", "shop"], { id: `shop${F}`, createdAt: AT }],
];

describe("an answer's text in an operator command's output", () => {
  it.each(CASES)("stays on its line and in its order: %j", async (argv, answer) => {
    const { url } = await stubCoordinator((_req, reply) => reply.json(200, answer));
    const r = await captureCli([...argv, ...connection(url, "shop")]);
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: "" });
    expect(r.stdout).not.toMatch(/^✔ forged/m);
    expect(r.stdout).not.toContain("\u202e");
    expect(r.stdout).toContain("✔ forged line\ufffd");
  });

  it("stays on its line in `children`'s note on stderr", async () => {
    const file = path.join(testTempDir("gf-ops-"), "kids.json");
    writeFileSync(file, '{"children": [{"title": "a"}]}');
    const child = { id: `job_2${F}`, title: `a${F}`, stage: "queued", deps: [`job_3${F}`] };
    const answer = { parent: { id: `job_1${F}`, stage: `blocked${F}` }, children: [child] };
    const { url } = await stubCoordinator((_req, reply) => reply.json(201, answer));
    const r = await captureCli(["children", "job_1", file, ...connection(url, "shop")]);
    expect(r.code).toBe(0);
    const out = r.stdout + r.stderr;
    expect(out).not.toMatch(/^✔ forged/m);
    expect(out).not.toContain("\u202e");
    expect(r.stderr).toBe("job_1 ✔ forged line\ufffd is blocked ✔ forged line\ufffd; 1 child added\n");
  });
});
