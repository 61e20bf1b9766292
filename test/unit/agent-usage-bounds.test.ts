// Whatever numbers an engine prints, the usage the agent reports fits the protocol's insights (shared/api-work
// InsightsBody: integers ≤ 1e12 tokens, ≤ $1e6): a report the coordinator refuses would leave the run unreported.
// That holds on a resumed lease too, where the run's earlier spend (`runSpent`) is added to the fresh engine's own.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { reportInsights, UsageMeter } from "../../src/agent/insights.ts";
import { InsightsBody } from "../../src/shared/api-work.ts";

const num = fc.oneof(
  fc.double({ noNaN: false }),
  fc.constantFrom(0, 1e12, 1e12 + 1, 1e6, 1e6 + 0.01, Number.MAX_VALUE, 2 ** 53),
);

const line = fc.oneof(
  fc
    .tuple(num, num, num)
    .map(([i, o, c]) => JSON.stringify({ gf_insights: { tokensIn: i, tokensOut: o, costUsd: c } })),
  fc.tuple(num, num, num, num, num).map(([i, w, r, o, c]) =>
    JSON.stringify({
      type: "result",
      is_error: false,
      total_cost_usd: c,
      usage: { input_tokens: i, cache_creation_input_tokens: w, cache_read_input_tokens: r, output_tokens: o },
    }),
  ),
  fc
    .tuple(num, num)
    .map(([i, o]) => JSON.stringify({ type: "turn.completed", usage: { input_tokens: i, output_tokens: o } })),
  fc
    .tuple(fc.integer({ min: 0, max: 50 }), num, num)
    .map(([id, i, o]) =>
      JSON.stringify({ type: "assistant", message: { id: `msg_${id}`, usage: { input_tokens: i, output_tokens: o } } }),
    ),
);

describe("reported usage bounds", () => {
  it("every usage the meter holds is one the protocol takes, with or without a resumed lease's earlier spend", () => {
    const base = fc.option(
      fc.record({
        usd: fc.constantFrom(0, 0.5, 999_999.99, 1e6),
        tokens: fc.constantFrom(0, 10, 1e12 - 1, 1e12),
      }),
      { nil: undefined },
    );
    fc.assert(
      fc.property(base, fc.array(line, { maxLength: 12 }), (b, lines) => {
        const meter = new UsageMeter({}, b);
        for (const l of lines) {
          meter.line(l);
          expect(InsightsBody.safeParse(reportInsights(meter.usage)).success).toBe(true);
        }
      }),
      { numRuns: 500 },
    );
  });
});
