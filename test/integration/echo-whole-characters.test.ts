// A refusal that echoes part of the caller's input cuts it between characters, never inside one: a manifest line that
// is not `key: value` (POST …/jobs as markdown, a bulk item's markdown) and the keys of a body that is neither submit
// form came back cut at 40 UTF-16 units, which split an emoji in half — a lone surrogate in the problem+json answer,
// which strict JSON parsers (Rust's serde_json) refuse to read, and which every input boundary here refuses too.
import { describe, expect, it } from "vitest";
import { hasLoneSurrogate } from "../../src/core/bytes.ts";
import { ADMIN, api, P } from "./client.ts";

const CRAB = "🦀"; // 2 UTF-16 units, 4 bytes of UTF-8: unit 40 falls inside one after an odd prefix
const line = `x${CRAB.repeat(30)}`;
type Problem = { code: string; detail: string; issues?: Array<{ message: string }> };

describe("a refusal that echoes the caller's text", () => {
  it("cuts a manifest line that is not key: value between characters", async () => {
    const r = await api<Problem>("POST", `${P("echo-whole")}/jobs`, {
      token: ADMIN,
      text: `---\n${line}\n---\nbody`,
      headers: { "content-type": "text/markdown" },
    });
    expect(r.status).toBe(400);
    expect(r.body.code).toBe("invalid_manifest");
    expect(r.body.detail).toContain(`got "x${CRAB}`);
    expect(hasLoneSurrogate(r.body)).toBe(false);
  });

  it("cuts the same line of a bulk item between characters", async () => {
    const r = await api<{ rejected: Problem[] }>("POST", `${P("echo-whole")}/jobs:batch`, {
      token: ADMIN,
      json: { items: [{ markdown: `---\n${line}\n---\nbody` }] },
    });
    expect(r.status).toBe(202);
    expect(r.body.rejected[0]?.code).toBe("invalid_manifest");
    expect(hasLoneSurrogate(r.body)).toBe(false);
  });

  it("cuts the keys of a body that is neither submit form between characters", async () => {
    const r = await api<Problem>("POST", `${P("echo-whole")}/jobs`, { token: ADMIN, json: { [line]: 1 } });
    expect(r.status).toBe(400);
    expect(r.body.detail).toContain(`keys x${CRAB}`);
    expect(hasLoneSurrogate(r.body)).toBe(false);
  });
});
