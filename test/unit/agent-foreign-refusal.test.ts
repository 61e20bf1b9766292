// The agent acts on what the coordinator decided only when the refusal is the coordinator's own problem+json (shared/
// problem-words isCoordinatorProblem): an access gateway's or a proxy's 403, 401 or 409 in front of --url told `enroll`
// that the code was bound to another name, used or expired, or the name taken (`enroll_refused`, "ask for a new
// one"), and its 401 or 403 page refusing the factory link stopped the agent for good (exit 3, "enroll the host
// again", which the gateway refuses as well). Another server's refusal is said as what it is: `enroll` fails with
// "check --url", the link is retried with a hint at what stands in front of the coordinator.
import { describe, expect, it } from "vitest";
import { refusalVerdict } from "../../src/agent/close-codes.ts";
import { enrollStandIn } from "./agent-enroll-fixture.ts";

const GATEWAY = { code: "forbidden", message: "Access denied by policy" };
const stand = enrollStandIn("gf-agent-foreign-refusal-", (req) =>
  req.body.includes('"name":"h409"') ? { status: 409, body: { code: "conflict" } } : { status: 403, body: GATEWAY },
);
const CODE = `gfe_acme_${"K".repeat(43)}`;

describe("agent enroll against another server's refusal", () => {
  it("a gateway's 403 JSON is no refusal of the code: enrollment failed, check --url", async () => {
    const r = await stand.enroll(["--url", stand.url, "--code", CODE, "--name", "h1"], "gateway");
    expect(r.requested).toBe(true);
    expect(r.err?.code).toBe("forbidden");
    expect(r.err?.message).toBe("enrollment failed: Access denied by policy");
    expect(r.err?.fix).toMatch(/^check --url /);
  });

  it("a proxy's 409 is no name taken", async () => {
    const r = await stand.enroll(["--url", stand.url, "--code", CODE, "--name", "h409"], "proxy");
    expect(r.err?.fix).toMatch(/^check --url /);
    expect(r.err?.fix).not.toContain("factory rm");
  });
});

describe("the factory link refused by another server", () => {
  const ours = {
    type: "https://gigafactory.dev/problems/unauthorized",
    title: "Authentication required",
    status: 401,
    detail: "token is not recognised, or was revoked or rotated",
    code: "unauthorized",
  };

  it("a gateway's 403 page or JSON is retried, saying what may stand in front of the coordinator", () => {
    const page = refusalVerdict(403, "<h1>Forbidden</h1>", { contentType: "text/html", statusText: "Forbidden" });
    expect(page).toMatchObject({ kind: "retry", why: expect.stringContaining("proxy or access gateway") });
    const json = refusalVerdict(401, JSON.stringify({ code: "unauthorized" }), { contentType: "application/json" });
    expect(json.kind).toBe("retry");
  });

  it("the coordinator's own 401 problem still stops the agent (exit 3)", () => {
    const verdict = refusalVerdict(401, JSON.stringify(ours), { contentType: "application/problem+json" });
    expect(verdict).toMatchObject({ kind: "fatal", error: { code: "unauthorized", exitCode: 3 } });
  });
});
