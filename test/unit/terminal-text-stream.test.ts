// Text shown on a terminal in pieces (an artifact streamed by `gigafactory artifact` to a TTY) reads as the whole
// text would (core/terminal-text `terminalTextStream`): a CRLF cut between two network reads is still a line end,
// not a stray `␍` picture, while a bare CR at a cut is still shown as one. Every cut of a sample, and runs of cuts.
import { describe, expect, it } from "vitest";
import { terminalText, terminalTextStream } from "../../src/core/terminal-text.ts";

const SAMPLE = "line one\r\nline two\r\n\rbare CR\r\u001b[2J\r\r\n漢字😀\r";

/** What the stream prints for `pieces`, pushed in order and then ended. */
function shown(pieces: readonly string[]): string {
  const s = terminalTextStream();
  return pieces.map((p) => s.push(p)).join("") + s.end();
}

describe("terminalTextStream", () => {
  it("prints for every two-piece cut what terminalText prints for the whole", () => {
    for (let i = 0; i <= SAMPLE.length; i++) {
      expect(shown([SAMPLE.slice(0, i), SAMPLE.slice(i)]), `cut at ${i}`).toBe(terminalText(SAMPLE));
    }
  });

  it("does so cut into single characters, with empty pieces between", () => {
    expect(shown([...SAMPLE].flatMap((c) => [c, ""]))).toBe(terminalText(SAMPLE));
  });

  it("keeps a CRLF whole across the cut, and shows a CR that ends the text or precedes no LF", () => {
    expect(shown(["a\r", "\nb"])).toBe("a\r\nb");
    expect(shown(["a\r", "b"])).toBe("a\u240db");
    expect(shown(["a\r"])).toBe("a\u240d");
  });
});
