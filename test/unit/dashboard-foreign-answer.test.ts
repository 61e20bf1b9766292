// The dashboard says an answer the coordinator cannot have written in one line, as the CLI does: a proxy's HTML 502
// was "HTTP 502 Bad Gateway — the answer is not the coordinator's" (nothing of what came), another server's
// `{"error": "invalid token"}` the same, a refusal in JSON declared charset=latin1 was read as UTF-8 and shown as the
// coordinator's problem, and a 2xx page or latin1 JSON "was not JSON" with nothing of what it was (latin1 JSON was
// read as UTF-8 and used). dashboard/foreign-answer.js mirrors src/shared/foreign-answer and problem-words: the same
// words on the same samples. Only the coordinator's own problem+json (type, title, detail, snake_case code) gives the
// page a code to act on: a proxy's `{"code":"bad_gateway"}` or a gateway's 403 `{"code":"forbidden"}` is said as
// another server's answer, with no code, no role advice and no sign-out (isCoordinatorProblem, as the CLI's); so is a
// 401 with no body or a problem naming no code, and a charset on the coordinator's media type keeps it the coordinator's.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
// @ts-expect-error plain browser JavaScript, typed by JSDoc only
import { type ApiError, api, describeError, setUnauthorizedHandler } from "../../dashboard/api.js";
// @ts-expect-error plain browser JavaScript, typed by JSDoc only
import * as mirror from "../../dashboard/foreign-answer.js";
import * as shared from "../../src/shared/foreign-answer.ts";
import { isCoordinatorProblem, problemWordsOf } from "../../src/shared/problem-words.ts";
import { hideKnown } from "../../src/shared/redact-known.ts";

const host = globalThis as unknown as Record<string, unknown>;
const saved = { fetch: host.fetch, location: host.location, document: host.document };
let answer: () => Response = () => new Response(null, { status: 204 });

beforeEach(() => {
  Object.assign(host, {
    location: { origin: "http://dash.test" },
    document: { hidden: false },
    fetch: async () => answer(),
  });
});
afterEach(() => {
  Object.assign(host, saved);
});

const session = { token: "gf_p_x", product: "p" };
/** What the page says of the failure of a read of /jobs answered `res`. */
const said = async (res: () => Response): Promise<string> => {
  answer = res;
  return api(session, "/jobs").then(
    () => "no failure",
    (err: unknown) => describeError(err),
  );
};
const PAGE = "<html><body><h1>502 Bad Gateway</h1></body></html>";

describe("dashboard: an answer that is not the coordinator's", () => {
  it("a refusal says what came — a page by its size, type and words, another server's JSON in its own words", async () => {
    const page = await said(
      () => new Response(PAGE, { status: 502, statusText: "Bad Gateway", headers: { "content-type": "text/html" } }),
    );
    expect(page).toMatch(
      /^HTTP 502 Bad Gateway — the answer is not the coordinator's: 50 bytes of text\/html: "502 Bad Gateway"\. /,
    );
    const json = (status: number, body: unknown, ct = "application/json") =>
      new Response(JSON.stringify(body), { status, headers: { "content-type": ct } });
    expect(await said(() => json(401, { error: "invalid token" }))).toMatch(/^HTTP 401 — invalid token/);
    expect(await said(() => json(502, {}))).toMatch(
      /^HTTP 502 — the answer is not the coordinator's: 2 bytes of application\/json, naming no problem \(no detail, title, message or error\)/,
    );
    const latin1 = json(
      409,
      { title: "Conflict", detail: "job j is busy", code: "conflict" },
      "application/json; charset=latin1",
    );
    expect(await said(() => latin1)).toMatch(
      /^HTTP 409 — the answer is not the coordinator's: \d+ bytes of application\/json in charset latin1: "/,
    );
  });

  it("a 2xx page or JSON in another charset is refused saying what came", async () => {
    expect(
      await said(
        () =>
          new Response("<html><title>Portal</title></html>", { status: 200, headers: { "content-type": "text/html" } }),
      ),
    ).toBe(
      `The coordinator's answer to GET …/jobs was not JSON in UTF-8: HTTP 200, 34 bytes of text/html: "Portal" (is something in front of it answering instead?)`,
    );
    const latin1 = new Response('{"jobs":[]}', {
      status: 200,
      headers: { "content-type": "application/json; charset=iso-8859-1" },
    });
    expect(await said(() => latin1)).toMatch(
      /was not JSON in UTF-8: HTTP 200, 11 bytes of application\/json in charset iso-8859-1: /,
    );
  });
});

describe("dashboard: another server's JSON naming a code", () => {
  const json =
    (status: number, body: unknown, ct = "application/json") =>
    () =>
      new Response(JSON.stringify(body), { status, headers: { "content-type": ct } });
  /** The refusal a read of /jobs answered `res` rejects with. */
  const refusal = async (res: () => Response): Promise<ApiError> => {
    answer = res;
    return api(session, "/jobs").then(
      () => {
        throw new Error("no failure");
      },
      (err: ApiError) => err,
    );
  };
  afterEach(() => setUnauthorizedHandler(() => {}));

  it("carries no code the page acts on, and is said as another server's", async () => {
    const proxy = await refusal(json(502, { code: "bad_gateway", message: "upstream connect error" }));
    expect([proxy.code, proxy.foreign]).toEqual(["", true]);
    expect(describeError(proxy)).toBe(
      "HTTP 502 — upstream connect error. Try again in a moment. If it persists, check that the coordinator (and any proxy before it) is up.",
    );
    const gateway = await refusal(json(403, { code: "forbidden", message: "blocked by policy" }));
    expect(gateway.code).toBe("");
    expect(describeError(gateway)).toBe(
      "HTTP 403 — blocked by policy. Another server answered, not the coordinator: check the coordinator's URL and any proxy or access gateway in front of it.",
    );
    // A problem's members in plain JSON, or problem+json missing its type: not the shape every coordinator refusal has.
    const plain = { type: "about:blank", title: "Conflict", detail: "busy", code: "conflict" };
    expect((await refusal(json(409, plain))).code).toBe("");
    const { type: _, ...untyped } = plain;
    expect((await refusal(json(409, untyped, "application/problem+json"))).code).toBe("");
    const ours = await refusal(json(409, plain, "application/problem+json"));
    expect([ours.code, ours.foreign]).toEqual(["conflict", false]);
    // Parameters on the media type are the coordinator's still (a proxy may add the charset on its way through).
    for (const ct of ["application/problem+json; charset=utf-8", 'Application/Problem+JSON;charset="UTF-8"'])
      expect((await refusal(json(409, plain, ct))).code, ct).toBe("conflict");
  });

  it("a 401 signs out only when the coordinator wrote it", async () => {
    const signedOut: string[] = [];
    setUnauthorizedHandler((err: ApiError) => signedOut.push(err.detail));
    await refusal(json(401, { code: "unauthorized", error: "access gateway: log in" }));
    expect(signedOut).toEqual([]);
    const problem = { type: "about:blank", title: "Unauthorized", detail: "token revoked", code: "unauthorized" };
    await refusal(json(401, problem, "application/problem+json"));
    expect(signedOut).toEqual(["token revoked"]);
    await refusal(json(401, problem, "application/problem+json; charset=utf-8"));
    expect(signedOut).toEqual(["token revoked", "token revoked"]);
  });

  it("a 401 with no body, or a problem naming no code, signs no one out: the coordinator writes neither", async () => {
    const signedOut: string[] = [];
    setUnauthorizedHandler((err: ApiError) => signedOut.push(err.detail));
    // An access gateway's bare 401 (its session lapsed): signing out dropped the saved token for another server's word.
    const bare = await refusal(() => new Response(null, { status: 401, headers: { "www-authenticate": "Basic" } }));
    expect([bare.code, bare.foreign]).toEqual(["", true]);
    expect(describeError(bare)).toBe(
      "HTTP 401 — the answer is not the coordinator's. Another server answered, not the coordinator: check the coordinator's URL and any proxy or access gateway in front of it.",
    );
    const problem = { type: "about:blank", title: "Unauthorized", detail: "log in to the gateway" };
    await refusal(json(401, problem, "application/problem+json"));
    expect(signedOut).toEqual([]);
  });
});

describe("dashboard: the token it sent, echoed back by what answered", () => {
  const token = "gf_acme_Zq8xW3vN5tLk2Rp9Yb7Hc4Md";
  const own = { token, product: "acme" };
  const saidTo = async (res: () => Response): Promise<string> => {
    answer = res;
    return api(own, "/jobs").then(
      () => "no failure",
      (err: unknown) => describeError(err),
    );
  };
  it("is hidden whole, in a page and in another server's JSON, refusal or 2xx", async () => {
    const page = `<html><body>401: bad Authorization: Bearer ${token} for /jobs</body></html>`;
    const json = JSON.stringify({ error: `token ${token} is unknown here` });
    for (const res of [
      () => new Response(page, { status: 401, headers: { "content-type": "text/html" } }),
      () => new Response(json, { status: 403, headers: { "content-type": "application/json" } }),
      () => new Response(page, { status: 200, headers: { "content-type": "text/html" } }),
    ]) {
      const line = await saidTo(res);
      expect(line).not.toContain("Zq8xW3vN");
      expect(line).toContain("gf_acme_…");
    }
  });
  it("is hidden when cut short past its head, as the CLI hides it (shared/redact-known)", () => {
    const texts = [
      `Bearer ${token} x`,
      `Bearer ${token.slice(0, 20)}... rejected`,
      `"auth":"${token.slice(0, 18)}"`,
      `${token.slice(0, 20)}ZZZ`, // a prefix not shown as cut: kept
      "gf_acme_Zq8x…", // fewer than 8 characters past the head: no secret worth mangling text for
      "nothing of it",
    ];
    expect(texts.map((t) => mirror.hideToken(t, token))).toEqual(texts.map((t) => hideKnown(t, [token])));
    expect(mirror.hideToken(`Bearer ${token.slice(0, 20)}... rejected`, token)).toBe("Bearer gf_acme_…... rejected");
  });
});

describe("dashboard/foreign-answer.js, the mirror of src/shared", () => {
  it("says each sample in the CLI's words", () => {
    const samples = [
      { status: 404, statusText: "Not Found", contentType: "text/html; charset=utf-8", text: PAGE, bytes: 50 },
      { status: 502, statusText: "", contentType: null, text: "", bytes: 0 },
      { status: 500, contentType: 'application/json; charset="Latin1"', text: '{"a":1}', bytes: 7, more: true },
      {
        status: 200,
        statusText: "OK\u0007",
        contentType: "Text/Plain\u0001",
        text: `<script>x</script>${"word ".repeat(60)}`,
        bytes: 320,
      },
      { status: 403, contentType: "application/problem+json", text: "&lt;b&gt; &amp; <!-- c --> &nbsp;x", bytes: 1 },
    ];
    for (const a of samples) expect(mirror.foreignAnswerText(a), a.text).toBe(shared.foreignAnswerText(a));
    for (const ct of [
      "application/json; charset=UTF-8",
      "application/vnd.x+json;charset=ascii",
      "text/html; charset=latin1",
      undefined,
    ])
      expect(mirror.foreignJsonCharset(ct)).toBe(shared.foreignJsonCharset(ct));
    const bodies = [
      { detail: "d", title: "t" },
      { title: "t", message: "m" },
      { error: "e", error_description: "ed" },
      { error: { message: "nested" } },
      { code: "E42" },
      "Not Found",
      { message: `a\n${"x".repeat(300)}` },
      {},
      [],
      42,
      null,
      { error: true },
    ];
    for (const b of bodies) expect(mirror.problemWordsOf(b), JSON.stringify(b)).toBe(problemWordsOf(b));
    const problem = { type: "about:blank", title: "Conflict", detail: "busy", code: "conflict" };
    const problems = [
      problem,
      { ...problem, type: 1 },
      { ...problem, detail: undefined },
      { ...problem, code: "Bad-Code" },
      { ...problem, code: `c${"x".repeat(64)}` },
      { code: "bad_gateway", message: "m" },
      [problem],
      null,
      "conflict",
    ];
    for (const b of problems)
      for (const ct of [
        "application/problem+json",
        "Application/Problem+JSON; charset=utf-8",
        "application/json",
        null,
      ])
        expect(mirror.isCoordinatorProblem(b, ct), `${JSON.stringify(b)} ${ct}`).toBe(isCoordinatorProblem(b, ct));
    expect(mirror.isCoordinatorProblem(problem, "application/problem+json")).toBe(true);
  });
});
