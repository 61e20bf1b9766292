// Claude Code's per-call tally (agent/engine-formats ClaudeCallTally) keeps each API call's usage by its message id.
// An engine printing assistant lines with made-up ids a line long (up to the splitter's 1 Mi characters) had each id
// kept as a key: ~1 MB a line, ~10 GB by the tally's 10,000-call bound — the agent ran out of memory, and with it
// every seat on the host. An id longer than any real one (`msg_` and 24 characters) is not tallied now. Counted, not
// measured: what the tally's map is given as keys is checked for length.
import { afterEach, describe, expect, it, vi } from "vitest";
import { ClaudeCallTally } from "../../src/agent/engine-formats.ts";

afterEach(() => {
  vi.restoreAllMocks();
});

const line = (id: string, input: number) =>
  JSON.stringify({ type: "assistant", message: { id, usage: { input_tokens: input, output_tokens: 1 } } });

describe("ClaudeCallTally, hostile ids", () => {
  it("keeps no id longer than a real one, and still counts the real calls", () => {
    const set = vi.spyOn(Map.prototype, "set");
    const tally = new ClaudeCallTally();
    expect(tally.line(line("msg_01XFDUDYJgAACzvnptvVoYEL", 10))).toEqual({ tokensIn: 10, tokensOut: 1 });
    const huge = "x".repeat(1024 * 1024 - 100);
    for (let n = 0; n < 20; n++) tally.line(line(`${n}${huge}`, 1_000));
    expect(tally.line(line("msg_02", 5))).toEqual({ tokensIn: 15, tokensOut: 2 });
    const keys = set.mock.calls.filter((_args, i) => set.mock.contexts[i] instanceof Map).map(([k]) => k);
    set.mockRestore();
    const longest = Math.max(...keys.map((k) => (typeof k === "string" ? k.length : 0)));
    expect(longest).toBeLessThanOrEqual(128);
  });
});
