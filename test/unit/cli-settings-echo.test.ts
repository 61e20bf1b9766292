// `gigafactory settings set KEY=VALUE`'s usage errors show back at most ISSUE_TEXT_BYTES of each typed part
// (cli/echoed-input `echoed`, the coordinator's own bound on echoed input): a 900-byte word without `=`, key, engine
// name or number came back whole in the `✘ ERROR` line, pushing the rule and the fix off the screen.
import { describe, expect, it } from "vitest";
import { parseAssignments } from "../../src/cli/commands/settings.ts";
import { ISSUE_TEXT_BYTES } from "../../src/core/bytes.ts";

const BIG = "k".repeat(900);
const ZEROS = "0".repeat(900);

/** The message `parseAssignments(words)` throws. */
function refusal(words: string[]): string {
  try {
    parseAssignments(words);
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error(`${JSON.stringify(words).slice(0, 80)} was not refused`);
}

describe("settings set echoes at most ISSUE_TEXT_BYTES of what was typed", () => {
  it.each([
    ["a word without =", [BIG]],
    ["a key with too many dots", [`a.b.${BIG}=1`]],
    ["a key set twice", [`${BIG}=1`, `${BIG}=2`]],
    ["a nested key set twice", [`weights.${BIG}=1`, `weights.${BIG}=2`]],
    ["a price set twice", [`prices.${BIG}.usdPerMillionIn=1`, `prices.${BIG}.usdPerMillionIn=2`]],
    ["a number too large", [`leaseTtlSeconds=1${ZEROS}`]],
    ["a number too small", [`leaseTtlSeconds=0.${ZEROS}1`]],
  ])("%s", (_what, words) => {
    const message = refusal(words);
    expect(message).toContain("…");
    expect(message).not.toContain("k".repeat(ISSUE_TEXT_BYTES + 1));
    expect(message).not.toContain("0".repeat(ISSUE_TEXT_BYTES + 1));
    expect(message.length).toBeLessThan(3 * ISSUE_TEXT_BYTES + 200);
  });
});
