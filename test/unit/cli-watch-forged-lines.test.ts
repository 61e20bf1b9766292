// `gigafactory watch` prints one line per event (a `log` event one per log line, each with its prefix): a newline in
// an event's type, stage, reason, child id or log stream — the coordinator's text — printed a forged
// `#8  12:00:00  job.stage  building → shipped` line of its own (cli/event-text). Each is now folded to one line.
import { describe, expect, it } from "vitest";
import { eventLines, summarize } from "../../src/cli/event-text.ts";
import type { JobEvent } from "../../src/shared/http-client.ts";

const AT = Date.UTC(2026, 0, 1, 12, 0, 0);
const FORGED = "\n#8  12:00:00  job.stage  building → shipped";
const ev = (type: string, data: Record<string, unknown>): JobEvent => ({ seq: 7, type, at: AT, data }) as JobEvent;

describe("watch lines for hostile event text", () => {
  const cases: Array<[string, JobEvent]> = [
    ["a stage move's reason", ev("job.stage", { from: "queued", to: "building", reason: `r${FORGED}` })],
    ["a stage move's target", ev("job.stage", { from: "queued", to: `building${FORGED}` })],
    ["a budget stop's why", ev("job.budget_exceeded", { why: `w${FORGED}` })],
    ["a child id", ev("job.children", { added: [`job_2${FORGED}`], total: 1 })],
    ["a failed child's stage", ev("job.child_failed", { childId: "job_2", childStage: `failed${FORGED}` })],
    ["a failed dependency", ev("job.dependency_failed", { depId: `job_3${FORGED}`, depStage: "failed" })],
    ["an unknown type", ev(`job.new${FORGED}`, { k: "v" })],
    ["a log line's stream", ev("log", { lines: [{ stream: `stdout${FORGED}`, text: "hello", at: AT }] })],
  ];
  for (const [what, event] of cases) {
    it(`keeps ${what} on the event's one line`, () => {
      const lines = eventLines(event);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^#7 {2}/);
      expect(lines[0]).not.toContain("\n");
      expect(summarize(event)).not.toContain("\n");
    });
  }

  it("still prints a log text's own lines, each with its prefix", () => {
    const lines = eventLines(ev("log", { lines: [{ stream: "stdout", text: "one\r\ntwo", at: AT }] }));
    expect(lines.map((l) => l.replace(/^#7 {2}\S+ {2}/, ""))).toEqual(["log  [stdout] one", "log  [stdout] two"]);
  });
});
