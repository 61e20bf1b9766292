// Claude Code's per-call tally (agent/engine-formats ClaudeCallTally) keeps its sum as it goes: on random streams of
// assistant lines (calls repeated with smaller and larger usage, counts past the protocol's 1e12 cap, lines that are
// not a call) its totals after every line equal the calls re-summed and capped, as the tally once computed them; so
// do they past its 10,000-call bound, where new calls are no longer counted. And a line costs no walk over the calls
// it holds: re-summed on every line, a long session cost the agent calls × lines.
import fc from "fast-check";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ClaudeCallTally } from "../../src/agent/engine-formats.ts";

/** The protocol's token cap (agent/engine-formats MAX_TOKENS) and the calls the tally holds at most (MAX_CALLS). */
const CAP = 1e12;
const MAX_CALLS = 10_000;

interface Call {
  id: string;
  input: number;
  cacheWrite: number;
  cacheRead: number;
  output: number;
}

const assistantLine = (c: Call) =>
  JSON.stringify({
    type: "assistant",
    message: {
      id: c.id,
      content: [],
      usage: {
        input_tokens: c.input,
        cache_creation_input_tokens: c.cacheWrite,
        cache_read_input_tokens: c.cacheRead,
        output_tokens: c.output,
      },
    },
  });

/** The tally as it was: every call's largest usage kept by id (new ids only below MAX_CALLS), and the calls summed. */
function reSummed() {
  const calls = new Map<string, [number, number]>();
  const capped = (v: number) => Math.min(v, CAP);
  const add = (c: Call) => {
    const used: [number, number] = [
      capped(capped(c.input) + capped(c.cacheWrite) + capped(c.cacheRead)),
      capped(c.output),
    ];
    const seen = calls.get(c.id);
    if (seen) calls.set(c.id, [Math.max(seen[0], used[0]), Math.max(seen[1], used[1])]);
    else if (calls.size < MAX_CALLS) calls.set(c.id, used);
  };
  const sum = () => {
    let tokensIn = 0;
    let tokensOut = 0;
    for (const [i, o] of calls.values()) {
      tokensIn += i;
      tokensOut += o;
    }
    return { tokensIn: capped(tokensIn), tokensOut: capped(tokensOut) };
  };
  return { add, sum };
}

const count = fc.oneof(
  { weight: 8, arbitrary: fc.integer({ min: 0, max: 1_000_000 }) },
  { weight: 1, arbitrary: fc.constantFrom(0, 5e11, CAP - 1, CAP, CAP + 1, 2 ** 53) },
);
const call = fc.record({
  id: fc.integer({ min: 0, max: 30 }).map((n) => `msg_${n}`),
  input: count,
  cacheWrite: count,
  cacheRead: count,
  output: count,
});
const step = fc.oneof(
  { weight: 6, arbitrary: call },
  { weight: 1, arbitrary: fc.constantFrom('{"type":"user","message":{"id":"msg_0"}}', "plain text", "{not json") },
);

afterEach(() => vi.restoreAllMocks());

describe("ClaudeCallTally", () => {
  it("gives, after every line of a random stream, the totals of its calls re-summed", () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 60 }), (steps) => {
        const tally = new ClaudeCallTally();
        const model = reSummed();
        for (const s of steps) {
          if (typeof s === "string") {
            expect(tally.line(s)).toBeUndefined();
            continue;
          }
          model.add(s);
          expect(tally.line(assistantLine(s))).toEqual(model.sum());
        }
      }),
      { numRuns: 1000 },
    );
  });

  it("agrees past its 10,000-call bound: a known call still grows, a new one is not counted", () => {
    const tally = new ClaudeCallTally();
    const model = reSummed();
    const calls: Call[] = [];
    for (let n = 0; n < MAX_CALLS + 5; n++)
      calls.push({ id: `msg_${n}`, input: n, cacheWrite: 7, cacheRead: 1_000, output: n % 97 });
    calls.push({ id: "msg_3", input: 50_000, cacheWrite: 0, cacheRead: 0, output: 9_000 });
    calls.push({ id: "msg_new", input: 1e9, cacheWrite: 0, cacheRead: 0, output: 1e9 });
    // Compared at every 1,000th call and at each of the last ones (a re-sum on every line is what this test is about).
    calls.forEach((c, n) => {
      model.add(c);
      const got = tally.line(assistantLine(c));
      if (n % 1000 === 0 || n >= MAX_CALLS - 2) expect(got).toEqual(model.sum());
    });
  });

  it("reads a line without walking the calls it holds", () => {
    const tally = new ClaudeCallTally();
    for (let n = 0; n < MAX_CALLS; n++)
      tally.line(assistantLine({ id: `msg_${n}`, input: 1, cacheWrite: 0, cacheRead: 0, output: 1 }));
    const walks = [
      vi.spyOn(Map.prototype, "values"),
      vi.spyOn(Map.prototype, "entries"),
      vi.spyOn(Map.prototype, "forEach"),
      vi.spyOn(Map.prototype, Symbol.iterator),
    ];
    const last = tally.line(assistantLine({ id: "msg_0", input: 5, cacheWrite: 0, cacheRead: 0, output: 2 }));
    expect(last).toEqual({ tokensIn: MAX_CALLS + 4, tokensOut: MAX_CALLS + 1 });
    expect(walks.map((w) => w.mock.calls.length)).toEqual([0, 0, 0, 0]);
  });
});
