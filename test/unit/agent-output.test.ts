// The agent never prints a secret (agent/output, shared/redact-secrets): tokens and enrollment codes by their shape
// (the product kept), the literal `--token`/`--code` it was given whatever its shape, a Bearer value and a URL's
// password are hidden in human lines and NDJSON alike, in progress lines and ✘ ERROR lines; ordinary identifiers
// such as `gf_insights` are left alone. Errors keep a stack's further lines below the ✘ ERROR line.
import { describe, expect, it } from "vitest";
import { createOutput } from "../../src/agent/output.ts";
import { REDACTED, redactSecrets } from "../../src/shared/redact-secrets.ts";

const SECRET = "Zz9-_".repeat(8).concat("abc"); // 43 base64url characters
const TOKEN = `gf_acme_${SECRET}`;
const CODE = `gfe_acme_${SECRET}`;

function capture(json: boolean, secrets: string[] = []) {
  const lines: string[] = [];
  const sink = { out: (l: string) => lines.push(l), err: (l: string) => lines.push(l) };
  return { out: createOutput(json, sink, () => 0, secrets), lines };
}

describe("redactSecrets", () => {
  it("hides tokens and codes by shape, keeping their product", () => {
    expect(redactSecrets(`token ${TOKEN} and code ${CODE}.`)).toBe(
      `token gf_acme_${REDACTED} and code gfe_acme_${REDACTED}.`,
    );
  });

  it("hides a token pasted cut short, the value after Bearer, and a URL's password", () => {
    expect(redactSecrets(`gf_acme_${SECRET.slice(0, 20)}`)).toBe(`gf_acme_${REDACTED}`);
    expect(redactSecrets("Authorization: Bearer s3cr3t-admin")).toBe(`Authorization: Bearer ${REDACTED}`);
    expect(redactSecrets("https://bob:hunter2@host/x")).toBe(`https://bob:${REDACTED}@host/x`);
  });

  it("hides a token glued to a word, and the whole of a URL password holding an @", () => {
    expect(redactSecrets(`x_gf_acme_${SECRET} y${CODE}`)).toBe(`x_gf_acme_${REDACTED} ygfe_acme_${REDACTED}`);
    expect(redactSecrets("https://u:p@ss@host/x and http://v:w@h2")).toBe(
      `https://u:${REDACTED}@host/x and http://v:${REDACTED}@h2`,
    );
    expect(redactSecrets("http://host/a@b?c=d@e")).toBe("http://host/a@b?c=d@e");
  });

  it("hides known literals of any shape, also as they read inside JSON", () => {
    expect(redactSecrets("the dev-admin-token leaked", ["dev-admin-token"])).toBe(`the ${REDACTED} leaked`);
    expect(redactSecrets(JSON.stringify({ m: 'x "quoted-secret" y' }), ['"quoted-secret"'])).toBe(
      JSON.stringify({ m: `x ${REDACTED} y` }),
    );
  });

  it("leaves identifiers and ordinary text alone", () => {
    const text = "gf_insights gf_rate_limited gf/wip/job_1-e2 short secret";
    expect(redactSecrets(text, ["short"])).toBe(text);
  });
});

describe("the agent's printer", () => {
  it("never prints a secret in a human line or an ✘ ERROR line", () => {
    const { out, lines } = capture(false, ["plain-secret-1"]);
    out.say("✔", "enrolled", `stored ${TOKEN}`);
    out.say("⚠", "server.error", "refused plain-secret-1");
    out.error("enroll_refused", `the coordinator refused ${CODE}`, "ask for a new one, not plain-secret-1");
    expect(lines.join("\n")).not.toContain(SECRET);
    expect(lines.join("\n")).not.toContain("plain-secret-1");
    expect(lines[2]).toBe(
      `✘ ERROR enroll_refused: the coordinator refused gfe_acme_${REDACTED} / ask for a new one, not ${REDACTED}`,
    );
  });

  it("never prints a secret in NDJSON, fields included, and the lines stay valid JSON", () => {
    const { out, lines } = capture(true, ["plain-secret-1"]);
    out.say("✔", "enrolled", "ok", { token: TOKEN, note: "plain-secret-1" });
    out.error("bad", `got ${CODE}`, "fix");
    expect(lines.join("\n")).not.toContain(SECRET);
    expect(lines.join("\n")).not.toContain("plain-secret-1");
    expect(JSON.parse(lines[0] as string)).toMatchObject({ token: `gf_acme_${REDACTED}`, note: REDACTED });
    expect(JSON.parse(lines[1] as string)).toMatchObject({ code: "bad", message: `got gfe_acme_${REDACTED}` });
  });

  it("never prints a secret after a newline or a tab in NDJSON (escaped as \\n, \\t in the line)", () => {
    const { out, lines } = capture(true, ["opaque-literal-42"]);
    out.say("⚠", "x", `a\n${TOKEN}`);
    out.error("bad_request", `proxy said:\n${CODE}\tBearer opaque-session-secret-123`, "fix");
    out.say("✔", "deep", "ok", { nested: [{ why: `\t${TOKEN}` }, "\nopaque-literal-42"], at2: new Date(0) });
    const text = lines.join("\n");
    for (const secret of [SECRET, "opaque-session-secret-123", "opaque-literal-42"]) expect(text).not.toContain(secret);
    expect(JSON.parse(lines[0] as string)).toMatchObject({ message: `a\ngf_acme_${REDACTED}` });
    expect(JSON.parse(lines[1] as string)).toMatchObject({
      message: `proxy said:\ngfe_acme_${REDACTED}\tBearer ${REDACTED}`,
    });
    expect(JSON.parse(lines[2] as string)).toMatchObject({
      nested: [{ why: `\tgf_acme_${REDACTED}` }, `\n${REDACTED}`],
      at2: "1970-01-01T00:00:00.000Z",
    });
  });

  it("keeps a stack's further lines below the ✘ ERROR line", () => {
    const { out, lines } = capture(false);
    out.error("internal", "Error: boom\n    at f (x.ts:1)", "report it");
    expect(lines).toEqual(["✘ ERROR internal: Error: boom / report it\n    at f (x.ts:1)"]);
  });
});

describe("NDJSON on a terminal", () => {
  it("writes DEL, C1 and bidi controls as \\uXXXX escapes: an engine's OSC 52 cannot reach the reader's terminal", () => {
    const { out, lines } = capture(true);
    const text = "engine said \u009d52;c;aGk=\u009c and \u202eevil\u007f";
    out.say("·", "job.log", text);
    expect(lines[0]).not.toMatch(/[\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
    expect(lines[0]).toContain("\\u009d52;c;aGk=\\u009c");
    expect(JSON.parse(lines[0]!).message).toContain("\u009d52;c;aGk=\u009c"); // the same value to a parser
  });
});
