// A secret the program holds is hidden by its value in every form an echo carries it in: as typed, JSON-escaped
// (`\"`, `\/`, `\u0041`), URL-encoded in either case and UTF-8 or Latin-1, form-encoded (`+`), HTML-escaped — and
// before the shapes, which hid only part of a token of another shape (`Bearer Zq7 admin…` up to the blank) and left
// the rest unrecognisable. Its start is hidden where an echo was cut inside it (a quote, an ellipsis or the end
// follows), not where ordinary text merely begins like it; a Gigafactory token keeps its product. The agent's printer
// (agent/output, the factory token it was given) hides it in all these forms too. Only the literal as typed and
// JSON-escaped was hidden before.
import { describe, expect, it } from "vitest";
import { createOutput } from "../../src/agent/output.ts";
import { hideKnown } from "../../src/shared/redact-known.ts";
import { redactSecrets } from "../../src/shared/redact-secrets.ts";

const SECRET = 'Zq7Ux admin/"key"+&=%é<Kw4Rt>:tail-9Xv2Lp';
const GF = `gf_acme_${"A1b2C3d4".repeat(5)}xyz`;

describe("hideKnown hides a secret", () => {
  const lower = (s: string) => s.replace(/%[0-9A-F]{2}/g, (h) => h.toLowerCase());
  const forms: Array<[string, string]> = [
    ["as typed", SECRET],
    ["JSON-escaped", JSON.stringify(SECRET).slice(1, -1)],
    ["JSON-escaped with \\/ and \\u", JSON.stringify(SECRET).slice(1, -1).replace("/", "\\/").replace("Z", "\\u005a")],
    ["URL-encoded", encodeURIComponent(SECRET)],
    ["URL-encoded in lower case", lower(encodeURIComponent(SECRET))],
    ["form-encoded", new URLSearchParams({ t: SECRET }).toString().slice(2)],
    ["Latin-1 percent-encoded", escape(SECRET)],
    [
      "HTML-escaped",
      SECRET.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;").replace(/>/g, "&#62;"),
    ],
  ];
  for (const [what, form] of forms) {
    it(what, () => {
      expect(hideKnown(`[${form}]`, [SECRET])).toBe("[…]");
      expect(redactSecrets(`Authorization: Bearer ${form} x`, [SECRET])).toBe("Authorization: Bearer … x");
    });
  }

  it("a % before 25 in the secret is read either way", () => {
    const s = "abcd%25efgh%ijkl";
    expect(hideKnown(`<${s}> <${encodeURIComponent(s)}>`, [s])).toBe("<…> <…>");
  });

  it("its start where an echo was cut inside it, and only there", () => {
    const start = SECRET.slice(0, 12);
    for (const cut of [`page: ${start}`, `"${start}"`, `${start}… more`, `${start}... more`]) {
      expect(hideKnown(cut, [SECRET])).not.toContain("Zq7Ux");
    }
    expect(hideKnown(`${start} is a phrase`, [SECRET])).toBe(`${start} is a phrase`);
  });

  it("keeping a Gigafactory token's product, as the shapes do", () => {
    expect(hideKnown(`x ${GF} y`, [GF])).toBe("x gf_acme_… y");
    expect(hideKnown(`x "${GF.slice(0, 20)}"`, [GF])).toBe('x "gf_acme_…"');
  });
});

describe("hideKnown leaves alone", () => {
  it("a secret shorter than 8 characters, and text without the secret", () => {
    expect(hideKnown("the admin said admin", ["admin"])).toBe("the admin said admin");
    expect(hideKnown("nothing to see", [SECRET])).toBe("nothing to see");
  });
});

describe("the agent's output", () => {
  it("hides its factory token URL-encoded, in human lines and in JSON", () => {
    const lines: string[] = [];
    const sink = { out: (l: string) => lines.push(l), err: (l: string) => lines.push(l) };
    const echo = `GET /connect?next=${encodeURIComponent(SECRET)} refused`;
    createOutput(false, sink, () => 0, [SECRET]).say("⚠", "refused", echo);
    createOutput(true, sink, () => 0, [SECRET]).error("refused", echo, "retry");
    expect(lines).toHaveLength(2);
    for (const line of lines) expect(line).not.toMatch(/Zq7Ux|Kw4Rt|9Xv2Lp/);
    expect(JSON.parse(lines[1] as string).message).toBe("GET /connect?next=… refused");
  });
});
