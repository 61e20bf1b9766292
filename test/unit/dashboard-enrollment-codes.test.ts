// The enrollment codes page's words (dashboard/enrollment-codes.js, enrollment-code-new.js): a code's expiry reads
// "in 42 min" until it passes and "expired" after, and the enroll command shown beside a new code is the one
// `gigafactory enroll` prints for the same code, name and seats — the same agent path (cli/commands/factories AGENT),
// so the two never drift apart — with a placeholder for the host name when the code binds none.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
// @ts-expect-error plain browser JavaScript, typed by JSDoc only
import { enrollCommand, LIFETIMES } from "../../dashboard/enrollment-code-new.js";
// @ts-expect-error plain browser JavaScript, typed by JSDoc only
import { expiresText, stateText } from "../../dashboard/enrollment-code-text.js";
import { AGENT } from "../../src/cli/commands/factories.ts";

const NOW = 1_700_000_000_000;
const CODE = `gfe_acme_${"x".repeat(43)}`;

describe("the enrollment codes page's words", () => {
  const saved = Object.getOwnPropertyDescriptor(globalThis, "location");
  beforeAll(() => {
    // The API base is this page's origin (config.js API_BASE is empty): a served page's `location`.
    Object.defineProperty(globalThis, "location", { value: { origin: "https://gf.example" }, configurable: true });
  });
  afterAll(() => {
    if (saved) Object.defineProperty(globalThis, "location", saved);
    else Reflect.deleteProperty(globalThis, "location");
  });

  it("says how long a code has left, and expired once past", () => {
    expect(expiresText(NOW + 30_000, NOW)).toBe("in 30 s");
    expect(expiresText(NOW + 42 * 60_000 + 5_000, NOW)).toBe("in 42 min");
    expect(expiresText(NOW + 3 * 3_600_000, NOW)).toBe("in 3 h");
    expect(expiresText(NOW + 7 * 86_400_000, NOW)).toBe("in 7 d");
    expect(expiresText(NOW, NOW)).toBe("expired");
    expect(expiresText(NOW - 1, NOW)).toBe("expired");
  });

  it("says expired in the expiry column at the very instant the state column does, never before", () => {
    // Rounding to the nearest second said "expired" up to 499 ms before the state did (a loaded CI run read the two
    // cells in that window): the last half-second reads "in 1 s".
    expect(expiresText(NOW + 400, NOW)).toBe("in 1 s");
    for (const left of [-1000, -1, 0, 1, 250, 499, 500, 501, 999, 1000, 1001, 59_999, 60_000]) {
      const expired = expiresText(NOW + left, NOW) === "expired";
      expect(expired, `${left} ms left`).toBe(stateText(NOW + left, NOW) === "expired");
    }
  });

  it("offers lifetimes the API accepts (60 s to 7 days), the API's default among them", () => {
    const seconds = LIFETIMES.map(([s]: [number, string]) => s);
    for (const s of seconds) expect(s >= 60 && s <= 7 * 24 * 3600, String(s)).toBe(true);
    expect(seconds).toContain(3600);
  });

  it("shows the enroll command the CLI prints for the same code, name and seats", () => {
    const url = "https://gf.example";
    expect(enrollCommand("acme", { code: CODE, name: "box-7", seats: 2 })).toBe(
      `${AGENT} enroll --url ${url} --product acme --code ${CODE} --name box-7 --seats 2 && ${AGENT} run`,
    );
    expect(enrollCommand("acme", { code: CODE })).toBe(
      `${AGENT} enroll --url ${url} --product acme --code ${CODE} --name <host name> && ${AGENT} run`,
    );
  });
});
