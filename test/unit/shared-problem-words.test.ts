// A JSON refusal without a `detail` is said in its own words — a problem's `title`, another server's
// `{"error": "…"}`, `{"message": "…"}`, `{"error": {"message": "…"}}`, OAuth's `error_description`, a bare JSON
// string — or, when it names no problem (`{}`), in one line saying what came, by the CLI and the agent's refused
// socket alike: the CLI printed up to 200 characters of the raw JSON as the error's text, the agent quoted it as
// a foreign page's text.
import { describe, expect, it } from "vitest";
import { problemDetail, refusalVerdict } from "../../src/agent/close-codes.ts";
import { problemWordsOf } from "../../src/shared/problem-words.ts";
import { captureCli, connection, stubCoordinator } from "../support/cli-harness.ts";

const TOKEN = `gf_shop_${"E".repeat(43)}`;

/** What `gigafactory jobs` prints on stderr when every request is answered `status` with the JSON `body`. */
async function cliLine(status: number, body: string): Promise<string> {
  const { url } = await stubCoordinator((_req, reply) => reply.text(status, body, "application/json"));
  const run = await captureCli(["jobs", ...connection(url, "shop", TOKEN)]);
  expect(run.code).toBe(1);
  return run.stderr;
}

describe("a JSON refusal without a detail, in the CLI", () => {
  it("says another server's own words, not its JSON", async () => {
    expect(await cliLine(401, JSON.stringify({ error: "invalid token" }))).toMatch(
      /^✘ ERROR http_401: invalid token \/ /,
    );
    expect(await cliLine(403, JSON.stringify({ message: "IP not allowed" }))).toMatch(
      /^✘ ERROR http_403: IP not allowed \/ /,
    );
    const nested = JSON.stringify({ error: { code: 429, message: "Quota exceeded" } });
    expect(await cliLine(429, nested)).toMatch(/^✘ ERROR http_429: Quota exceeded \/ /);
    const titled = JSON.stringify({ type: "about:blank", title: "Service Unavailable", status: 503 });
    expect(await cliLine(503, titled)).toMatch(/^✘ ERROR http_503: Service Unavailable \/ /);
  });

  it("says a JSON naming only its code by the status, not the code twice", async () => {
    expect(await cliLine(401, JSON.stringify({ code: "invalid_token" }))).toMatch(
      /^✘ ERROR invalid_token: HTTP 401 Unauthorized \/ /,
    );
  });

  it("says a JSON naming no problem in one line, as a foreign page is said", async () => {
    expect(await cliLine(502, JSON.stringify({ ok: false, retry: [1, 2] }))).toMatch(
      /^✘ ERROR http_502: not a Gigafactory answer: HTTP 502 Bad Gateway, 26 bytes of application\/json, naming no problem \(no detail, title, message or error\) \/ retry; if it persists, check --url /,
    );
  });

  it("still says the coordinator's own detail as sent", async () => {
    const problem = { type: "about:blank", title: "Conflict", status: 409, code: "conflict", detail: "job j is busy" };
    expect(await cliLine(409, JSON.stringify(problem))).toMatch(/^✘ ERROR conflict: job j is busy \/ /);
  });
});

describe("the words of a parsed JSON error body", () => {
  it("takes detail, title, message, error_description, error, code, in that order; one line, cut at 200", () => {
    expect(problemWordsOf({ detail: "d", title: "t" })).toBe("d");
    expect(problemWordsOf({ title: "t", message: "m" })).toBe("t");
    expect(problemWordsOf({ error: "invalid_grant", error_description: "The code expired" })).toBe("The code expired");
    expect(problemWordsOf({ code: "E42" })).toBe("E42");
    expect(problemWordsOf("Not Found")).toBe("Not Found");
    expect(problemWordsOf({ message: "line one\n\tline two" })).toBe("line one line two");
    const long = problemWordsOf({ message: "x".repeat(500) });
    expect(long).toBe(`${"x".repeat(200)}…`);
    for (const none of [{}, [], 42, null, { error: true }, { message: "  " }])
      expect(problemWordsOf(none)).toBeUndefined();
  });
});

describe("a JSON refusal of the agent's socket", () => {
  it("says another server's words, the API's code before them, or that it names no problem", () => {
    expect(problemDetail(JSON.stringify({ error: "invalid token" }))).toBe("invalid token");
    expect(problemDetail(JSON.stringify({ code: "forbidden", detail: "viewer token" }))).toBe(
      "forbidden: viewer token",
    );
    // Another server's 401 (no problem of the coordinator's: agent-foreign-refusal) is retried, in its own words.
    const foreign = refusalVerdict(401, JSON.stringify({ message: "token expired" }), {
      contentType: "application/json",
    });
    expect(foreign.kind === "retry" && foreign.why).toBe(
      "connect refused: token expired (not the coordinator's refusal: is a proxy or access gateway in front of --url refusing this host?)",
    );
    const retry = refusalVerdict(502, "{}", { contentType: "application/json", statusText: "Bad Gateway" });
    expect(retry).toEqual({
      kind: "retry",
      why: "connect refused: not a Gigafactory answer: HTTP 502 Bad Gateway, 2 bytes of application/json, naming no problem (no detail, title, message or error)",
    });
  });
});
