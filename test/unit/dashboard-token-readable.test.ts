// The sign-in form refuses a token the coordinator can never read as the CLI does (dashboard/token-shape.js
// tokenReadProblem mirrors src/cli/token-readable.ts, which the dashboard cannot import): `Bearer gfadmin_…` pasted
// whole, two words, or past 512 bytes — each was sent and came back the coordinator's 401 "send Authorization:
// Bearer <token>". For every sample both refuse or neither does, in the same words (the CLI's names where the token
// came from), a line break of a wrapped paste and a NUL too; a character no header can carry as shared/header-token
// says it; blanks at the ends, 512 bytes, an admin token of any other shape and a product token's faults are not this.
import { describe, expect, it } from "vitest";
// @ts-expect-error plain browser JavaScript, typed by JSDoc only
import * as formRules from "../../dashboard/token-shape.js";
import { TOKEN_MAX_BYTES, unreadableToken } from "../../src/cli/token-readable.ts";
import { headerUnsafeChar } from "../../src/shared/header-token.ts";

const { TOKEN_MAX_BYTES: FORM_MAX, tokenReadProblem: form, headerCharProblem: formHeader } = formRules;

const ADMIN = "gfadmin_our-own-secret";
const SAMPLES = [
  `Bearer ${ADMIN}`,
  `bearer\t${ADMIN}`,
  `${ADMIN} ${ADMIN}`,
  `GIGAFACTORY_TOKEN= ${ADMIN}`,
  `${ADMIN.slice(0, 10)}\n${ADMIN.slice(10)}`,
  `${ADMIN.slice(0, 10)}\r\n${ADMIN.slice(10)}`,
  `${ADMIN}\u00a0x`,
  `${ADMIN}\0`,
  "é".repeat(257),
  "t".repeat(513),
  "t".repeat(TOKEN_MAX_BYTES),
  "é".repeat(TOKEN_MAX_BYTES / 2),
  ADMIN,
  `gf_demo_${"V".repeat(20)} ${"V".repeat(23)}`,
  `gf_demo_${"V".repeat(43)}`,
  "",
];

describe("the sign-in form's unreadable token, as the CLI's", () => {
  it("refuses exactly the tokens the CLI refuses, in its words", () => {
    for (const t of SAMPLES) {
      const theirs = unreadableToken(t, "--token")?.message;
      const ours = form(t);
      expect(ours === undefined, JSON.stringify(t)).toBe(theirs === undefined);
      if (theirs !== undefined) expect(ours).toBe(theirs.replace("the token (--token) ", "the token "));
    }
    expect(FORM_MAX).toBe(TOKEN_MAX_BYTES);
  });

  it("says what was pasted, never the token", () => {
    expect(form(`Bearer ${ADMIN}`)).toBe(
      "the token holds a blank at character 7, which no token has: `Bearer` pasted with it?",
    );
    expect(form(`${ADMIN} x`)).toMatch(/at character 23, which no token has: two words pasted together\?$/);
    // A wrapped paste: fetch refused the header with a TypeError of its own, and the form said something generic.
    expect(form(`${ADMIN.slice(0, 10)}\n${ADMIN.slice(10)}`)).toBe(
      "the token holds a line break at character 11, which no token has: two words pasted together?",
    );
    expect(form(`${ADMIN}\0`)).toMatch(/^the token holds a NUL character at character 23,/);
    expect(form(`${ADMIN}\u00a0x`)).toMatch(/^the token holds a blank at character 23,/);
    expect(form("é".repeat(257))).toBe("the token is 514 bytes, past the 512 the coordinator reads of one");
    for (const t of SAMPLES) expect(form(t) ?? "").not.toContain(ADMIN);
  });

  it("refuses a character no header can carry as shared/header-token does, naming it as the CLI does", () => {
    const pasted = [
      `${ADMIN}\u2026`,
      `\u201c${ADMIN}\u201d`,
      `${ADMIN}\u0001`,
      `${ADMIN}\u2028x`,
      "é".repeat(300),
      ...SAMPLES,
    ];
    for (const t of pasted) {
      const theirs = headerUnsafeChar(t);
      expect(formHeader(t), JSON.stringify(t)).toBe(
        theirs === undefined
          ? undefined
          : `the token holds a character no HTTP header can carry (${theirs}); a paste may have brought it along`,
      );
    }
    expect(formHeader(`${ADMIN}\u2026`)).toContain("(U+2026 at character 23)");
  });
});
