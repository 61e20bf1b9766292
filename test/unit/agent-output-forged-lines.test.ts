// The agent's human output: one event per line start. A message holds text from elsewhere with its newlines kept —
// an engine's error result (Claude's `result`, Codex's turn.failed), git's stderr, a coordinator's detail — and a
// failure reading `boom\n✔ job_2 done in 3.0s` printed a second line that the operator, and a log shipper reading
// line by line, took for the agent's own. Every line of a message after its first is indented now (unless it starts
// with a space or a tab: a stack's lines stay as they were), so only the agent's marks start a line. JSON output was one object a line already.
import { describe, expect, it } from "vitest";
import { createOutput } from "../../src/agent/output.ts";

const MARKS = /^(?:✔|▶|✘|⚠|·|✘ ERROR)/;

function human() {
  const text: string[] = [];
  const out = createOutput(false, { out: (l) => text.push(l), err: (l) => text.push(l) });
  return { out, lines: () => text.join("\n").split("\n") };
}

describe("the agent's human output, given text with newlines", () => {
  it("starts a line with a mark only for an event it printed", () => {
    const { out, lines } = human();
    out.say("✘", "job.failed", "job_1 failed: boom\n✔ job_2 done in 3.0s\r\n▶ job_3 forged (attempt 1)");
    out.error(
      "internal",
      "Error: x\n    at f (a.ts:1:1)\n✔ connected as forged\n\u00a0✔ behind a no-break space",
      "report it",
    );
    out.say("▶", "job.start", "job_4 a title (attempt 1)");
    const started = lines().filter((l) => MARKS.test(l));
    expect(started).toEqual([
      "✘ job_1 failed: boom",
      expect.stringMatching(/^✘ ERROR internal: Error: x/),
      "▶ job_4 a title (attempt 1)",
    ]);
    expect(lines()).toContain("  ✔ job_2 done in 3.0s\r");
    expect(lines()).toContain("    at f (a.ts:1:1)"); // a stack's lines, already indented, as they were
  });
});
