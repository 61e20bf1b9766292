// What an agent's failure report carries is cut in bytes on a character boundary (agent/report `resultOf`, core/bytes
// `truncateUtf8`), never by UTF-16 units: a cut through an emoji left half of it, JSON wrote that as "\ud83d", and
// the coordinator refused the whole frame as holding a lone surrogate — so the job sat in building until its lease
// ran out and the failure was lost (found by a reviewer of the lone-surrogate check). Every cut point near the
// limit, with emoji and other wide characters, gives a frame the coordinator's parser accepts.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { EngineExit } from "../../src/agent/engine-runner.ts";
import { reportFrame, resultOf } from "../../src/agent/report.ts";
import { utf8Bytes } from "../../src/core/bytes.ts";
import { parseFactoryFrame } from "../../src/shared/protocol.ts";

const failed: EngineExit = { rc: 1, signal: null, durationMs: 10 } as EngineExit;

function frameFor(exit: EngineExit, lastError?: string) {
  const r = resultOf(exit, { lastError });
  return parseFactoryFrame(JSON.stringify({ id: "r", ...reportFrame("job_1", 1, { ...r, at: 0 } as never) }));
}

describe("a failure report's message", () => {
  it("keeps a frame the coordinator accepts wherever the cut falls, whole characters only (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 3900, max: 4100 }), fc.constantFrom("😀", "漢", "é", "🇫🇷"), (pad, wide) => {
        const parsed = frameFor(failed, `${"x".repeat(pad)}${wide.repeat(40)} tail`);
        expect(parsed.ok).toBe(true);
        if (!parsed.ok || parsed.frame.type !== "fail") return;
        const message = parsed.frame.result.message ?? "";
        expect(utf8Bytes(message)).toBeLessThanOrEqual(4000);
        expect(/[\ud800-\udbff](?![\udc00-\udfff])/.test(message)).toBe(false);
      }),
    );
  });

  it("a spawn error is cut the same way", () => {
    const parsed = frameFor({ ...failed, rc: null, spawnError: `${"x".repeat(3999)}😀😀` } as EngineExit);
    expect(parsed.ok).toBe(true);
  });
});
