// A refusal that echoes part of the caller's input cuts it between characters, never inside one: a manifest line that
// is not `key: value` (POST …/jobs as markdown, a bulk item's markdown) and the keys of a body that is neither submit
// form came back cut at 40 UTF-16 units, which split an emoji in half — a lone surrogate in the problem+json answer,
// which strict JSON parsers (Rust's serde_json) refuse to read, and which every input boundary here refuses too.
// And it echoes at most ISSUE_TEXT_BYTES (256) of each piece of the request it names: the path and method of a 404
// "no route" or a 405, and the Content-Type of a 415, came back whole — a 20 KB path was a 20 KB detail, in every
// log line and CLI error that carries it — while a body's issues were already bounded (core/bytes `clipUtf8`).
import { describe, expect, it } from "vitest";
import { hasLoneSurrogate, ISSUE_TEXT_BYTES } from "../../src/core/bytes.ts";
import { ADMIN, api, P, rawApi } from "./client.ts";

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

const PRODUCT = "echo-bounds";
const CRAB_ESCAPED = "%F0%9F%A6%80"; // 🦀 in a path: a cut inside one would leave a lone surrogate
const bytes = (s: string) => new TextEncoder().encode(s).length;
/** Two echoed pieces and the words around them: well under 3 × ISSUE_TEXT_BYTES. */
const BOUND = 3 * ISSUE_TEXT_BYTES;

describe("a refusal naming the request's path, method or media type", () => {
  it("404 and 405 echo at most 256 bytes of the path, cut between characters", async () => {
    await api("GET", `${P(PRODUCT)}/budget`, { token: ADMIN }); // the product exists
    const long = `x${CRAB_ESCAPED.repeat(5000)}`;
    const cases = [
      ["GET", `/api/v1/${long}`, 404, "not_found", "no route for GET /api/v1/x🦀"],
      ["GET", `${P(PRODUCT)}/nothing/${long}/`, 404, "not_found", `no route for GET ${P(PRODUCT)}/nothing/x🦀`],
      ["DELETE", `${P(PRODUCT)}/jobs/${long}`, 405, "method_not_allowed", `${P(PRODUCT)}/jobs/x🦀`],
    ] as const;
    for (const [method, path, status, code, start] of cases) {
      const r = await rawApi<Problem>(method, path, { token: ADMIN });
      expect([path.slice(0, 40), r.status, r.body.code]).toEqual([path.slice(0, 40), status, code]);
      expect(r.body.detail.startsWith(start), r.body.detail.slice(0, 80)).toBe(true);
      expect(bytes(r.body.detail)).toBeLessThanOrEqual(BOUND);
      expect(hasLoneSurrogate(r.body)).toBe(false);
    }
  });

  it("415 echoes at most 256 bytes of the Content-Type", async () => {
    // Under the Content-Type's own 1 KiB bound (worker/header-limits: a longer one is a 400 before any route reads
    // it), and four times what a refusal echoes.
    const type = `application/x-${"y".repeat(1_000)}`;
    const r = await rawApi<Problem>("POST", `${P(PRODUCT)}/lessons`, {
      token: ADMIN,
      text: "{}",
      headers: { "content-type": type },
    });
    expect([r.status, r.body.code]).toEqual([415, "unsupported_media_type"]);
    expect(r.body.detail).toContain("got application/x-yyy");
    expect(bytes(r.body.detail)).toBeLessThanOrEqual(BOUND);
  });
});
