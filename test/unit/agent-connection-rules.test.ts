// When the agent reconnects and when it stops for good, and how often it renews a lease.
import { describe, expect, it } from "vitest";
import {
  type ConnectionEnded,
  closeVerdict,
  problemDetail,
  refusalVerdict,
  retiredWords,
} from "../../src/agent/close-codes.ts";
import { renewPlan } from "../../src/agent/lease-renewer.ts";
import { CLOSE } from "../../src/shared/protocol.ts";

describe("closeVerdict", () => {
  it("stops for good on revoke, replace and protocol errors, with a fix to act on", () => {
    expect(closeVerdict(CLOSE.revoked, "revoked")).toMatchObject({
      kind: "fatal",
      error: { code: "revoked", fix: expect.stringMatching(/enroll/), exitCode: 3 },
    });
    expect(closeVerdict(CLOSE.replaced, "replaced")).toMatchObject({
      kind: "fatal",
      error: { code: "replaced", exitCode: 3 },
    });
    // Not the credentials: an upgraded agent may be restarted.
    expect(closeVerdict(CLOSE.protocolError, "expected hello")).toMatchObject({
      kind: "fatal",
      error: { code: "protocol_error", message: expect.stringMatching(/expected hello/), exitCode: 1 },
    });
  });

  it("says which end of its credential the coordinator gave: removed, rotated or revoked, each with its own fix", () => {
    // The coordinator closes with the revoke frame's reason (factories/link `notify`); an older one said "revoked".
    const said = (reason: string) => {
      const v = closeVerdict(CLOSE.revoked, reason);
      if (v.kind !== "fatal") throw new Error(`not fatal: ${reason}`);
      expect(v.error).toMatchObject({ code: "revoked", exitCode: 3 });
      return { what: v.error.message, fix: v.error.fix };
    };
    const removed = said("factory deregistered");
    expect(removed.what).toMatch(/removed this factory \(`gigafactory factory rm`\)/);
    expect(removed.what).not.toMatch(/revoked/);
    expect(removed.fix).toMatch(/gigafactory enroll NAME.*gigafactory-agent enroll --code/);
    const rotated = said("token rotated");
    expect(rotated.what).toMatch(/rotated this factory's token/);
    // Stored (enroll --token, as `factory rotate`'s own line does), not given to `run --token`, which saves nothing.
    expect(rotated.fix).toMatch(
      /gigafactory-agent enroll --url URL --product P --token gf_….*then `gigafactory-agent run`/,
    );
    expect(rotated.fix).not.toMatch(/--code/);
    expect(said("factory token revoked").what).toBe("the coordinator revoked this factory (factory token revoked)");
    expect(said("revoked").fix).toMatch(/enroll/);
    // Each running job's lease-lost line says which end it was: a rotation read "factory revoked", from the code.
    const ended = (reason: string) => {
      const v = closeVerdict(CLOSE.revoked, reason);
      return v.kind === "fatal" ? (v.error as ConnectionEnded).ended : v.why;
    };
    expect(ended("token rotated")).toBe("factory token rotated");
    expect(ended("factory deregistered")).toBe("factory removed by an operator");
    expect(ended("factory token revoked")).toBe("factory revoked");
    // The revoke frame, said before the close, in the same words.
    expect(retiredWords("factory deregistered").what).toBe(removed.what);
  });

  it("reconnects after anything else: normal closes, abnormal drops, server restarts", () => {
    for (const code of [1000, 1001, 1006, 1011, 1012, 4999]) expect(closeVerdict(code, "").kind).toBe("retry");
    expect(closeVerdict(1006, "")).toEqual({ kind: "retry", why: "connection closed (1006 no reason given)" });
  });
});

describe("refusalVerdict", () => {
  // As the coordinator writes every refusal (worker/problem): another server's 401 or 403 is retried (agent-foreign-refusal).
  const refused = (status: number, code: string, detail: string) =>
    JSON.stringify({ type: `https://gigafactory.dev/problems/${code}`, title: code, status, detail, code });
  const heads = { contentType: "application/problem+json" };

  it("stops on 401/403 (a token that will not start working by retrying), quoting the coordinator", () => {
    const problem = refused(401, "unauthorized", "token is not recognised, or was revoked or rotated");
    expect(refusalVerdict(401, problem, heads)).toMatchObject({
      kind: "fatal",
      error: { code: "unauthorized", message: expect.stringMatching(/unauthorized: token is not recognised/) },
    });
    expect(refusalVerdict(403, refused(403, "forbidden", "a factory token"), heads)).toMatchObject({
      kind: "fatal",
      error: { code: "forbidden", exitCode: 3 },
    });
  });

  it("retries 404 and 5xx, with a hint for 404", () => {
    expect(refusalVerdict(404, "Not Found")).toEqual({
      kind: "retry",
      why: 'connect refused: not a Gigafactory answer: HTTP 404, 9 bytes with no Content-Type: "Not Found" (is the URL a Gigafactory coordinator, and the product right?)',
    });
    expect(refusalVerdict(503, "")).toEqual({ kind: "retry", why: "connect refused: HTTP 503" });
  });

  it("reads problem+json in UTF-8, and nothing else", () => {
    expect(problemDetail(JSON.stringify({ detail: "d" }))).toBe("d");
    expect(problemDetail(JSON.stringify({ detail: "d" }), "application/problem+json; charset=latin1")).toBeUndefined();
    expect(problemDetail(" <html>bad gateway</html> ")).toBeUndefined();
    expect(problemDetail("")).toBeUndefined();
  });
});

describe("renewPlan", () => {
  it("renews a pushed lease every TTL/2 of the granted TTL", () => {
    expect(renewPlan(undefined, 60, false)).toEqual({ now: false, everyMs: 30_000 });
  });

  it("with --lease-ttl, renews at half of it, at once if the grant differs", () => {
    expect(renewPlan(5, 5, false)).toEqual({ now: false, everyMs: 2500 });
    expect(renewPlan(5, 60, false)).toEqual({ now: true, everyMs: 2500 });
  });

  it("renews a lease resumed after a reconnect at once (its ttl is only what is left of it)", () => {
    expect(renewPlan(undefined, 3, true)).toEqual({ now: true, everyMs: 30_000 });
    expect(renewPlan(20, 3, true)).toEqual({ now: true, everyMs: 10_000 });
  });
});
