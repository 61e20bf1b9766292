// What a newcomer's first hour read in the README and the OpenAPI text says what the code does, where that hour
// tripped (pass 30): `watch` exits 0 for a dead-lettered or cancelled job as for a shipped one (the README named only
// exit 3, so `watch ID && deploy` read as "deploy once it shipped"); `gigafactory dead-letters` lists records the
// coordinator could not deliver, never dead-lettered jobs (`jobs --stage dead_letter` does); a product's first budget
// starts at $0, whatever its jobs spent before; and the webhook, which has no CLI command, is set with the README's
// curl example — a body the route's own schema takes, sent to the API's own path; and a track record's "success 80 %"
// after 3 successes of 3 in `explain` is the Beta(1, 1) prior's mean, while the dashboard's fleet cards show the raw
// share (dashboard/learned.js trackLines), which the README now spells out.
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
// @ts-expect-error plain browser JavaScript, typed by JSDoc only
import { trackLines } from "../../dashboard/learned.js";
import { watch } from "../../src/cli/commands/watch.ts";
import { applyRule } from "../../src/core/budget.ts";
import { TERMINAL_STAGES } from "../../src/core/model.ts";
import { successRate } from "../../src/core/track-record.ts";
import { JobListQuery } from "../../src/shared/api.ts";
import { WebhookBodySchema } from "../../src/shared/api-alerts.ts";
import { P } from "../../src/worker/openapi-ops.ts";
import { ALERTS_OPS } from "../../src/worker/openapi-ops-alerts.ts";
import { BUDGET_OPS } from "../../src/worker/openapi-ops-budget.ts";
import { DEAD_LETTER_OPS } from "../../src/worker/openapi-ops-dead-letters.ts";

const README = readFileSync(path.resolve(import.meta.dirname, "../../README.md"), "utf8");

/** The README's paragraph (blank-line bounded) that starts with `start`, or "" when it has none. */
const paragraph = (start: string) => README.split(/\n\n/).find((p) => p.startsWith(start)) ?? "";

/** The README's CLI block line of one command, e.g. `npx gigafactory watch`. */
const cliLine = (command: string) => README.split("\n").find((l) => l.startsWith(`${command} `)) ?? "";

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
});
