// A 429 or 503 that says when to come back — `Retry-After` (seconds or an HTTP-date) or the coordinator's problem
// `retryAfterSeconds` — is reported with that wait: first in the `✘ ERROR` line's fix, and as `retryAfterSeconds` in
// the --json error document, for a script to sleep on. An overloaded coordinator's 503 said "send the same request
// again" (at once), and a rate limit in front of the coordinator (a gateway's 429 without a problem code) said "the
// coordinator did not write it: check --url". Any other refusal is reported as before, a Retry-After or not.
import { describe, expect, it } from "vitest";
import { captureCli, connection, stubCoordinator } from "../support/cli-harness.ts";

const NOW = 1_700_000_060_000;

async function refusedWith(status: number, type: string, body: string, headers: Record<string, string> = {}) {
  const stub = await stubCoordinator((_req, reply) => reply.text(status, body, type, headers));
  const human = await captureCli(["jobs", ...connection(stub.url, "p")], { now: NOW });
  const json = await captureCli(["jobs", "--json", ...connection(stub.url, "p")], { now: NOW });
  return { human, doc: JSON.parse(json.stdout) as { error: Record<string, unknown> } };
}

const problem = (status: number, code: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    type: "about:blank",
    title: "t",
    status,
    code,
    detail: "the product's coordinator is overloaded",
    ...extra,
  });

describe("a refusal that says when to come back", () => {
  it("an overloaded coordinator's 503: its retryAfterSeconds, in the fix and the --json document", async () => {
    const { human, doc } = await refusedWith(
      503,
      "application/problem+json",
      problem(503, "unavailable", { retryAfterSeconds: 5 }),
      { "retry-after": "5" },
    );
    expect(human.code).toBe(1);
    expect(human.stderr).toMatch(
      /^✘ ERROR unavailable: the product's coordinator is overloaded \/ try again in 5 s \(the answer's Retry-After\); send the request again/,
    );
    expect(doc.error).toMatchObject({ code: "unavailable", exitCode: 1, retryAfterSeconds: 5 });
    expect(String(doc.error.fix)).toMatch(/^try again in 5 s/);
  });

  it("a gateway's 429 without a problem code: a rate limit, its Retry-After in seconds or as a date", async () => {
    const page = "<html><body>Rate limited.</body></html>";
    const secs = await refusedWith(429, "text/html", page, { "retry-after": "60" });
    expect(secs.human.stderr).toContain(
      "/ a proxy or gateway in front of the coordinator limits the rate of requests: try again in 60 s (the answer's Retry-After)",
    );
    expect(secs.human.stderr).not.toContain("check --url");
    expect(secs.doc.error).toMatchObject({ code: "http_429", retryAfterSeconds: 60 });
    const date = await refusedWith(429, "text/html", page, { "retry-after": new Date(NOW + 120_000).toUTCString() });
    expect(date.doc.error.retryAfterSeconds).toBe(120);
    const none = await refusedWith(429, "text/html", page);
    expect(none.human.stderr).toContain("limits the rate of requests: try again later");
    expect(none.doc.error).not.toHaveProperty("retryAfterSeconds");
  });

  it("leaves any other refusal as it was, a Retry-After or not", async () => {
    const { human, doc } = await refusedWith(
      409,
      "application/problem+json",
      problem(409, "conflict", { retryAfterSeconds: 5 }),
      { "retry-after": "5" },
    );
    expect(human.stderr).toMatch(/\/ the target is in a state that forbids this; inspect it and retry\n$/);
    expect(doc.error).not.toHaveProperty("retryAfterSeconds");
    const { doc: plain } = await refusedWith(503, "application/problem+json", problem(503, "unavailable"));
    expect(plain.error).not.toHaveProperty("retryAfterSeconds");
    expect(String(plain.error.fix)).toMatch(/^send the request again/);
  });
});
