// A redirect is worded once for both programs (shared/foreign-answer redirectText): the CLI's REST call said
// `✘ ERROR bad_response: the coordinator's answer is not JSON (the answer from … is no coordinator's: it redirects
// (HTTP 302) to …)` — "not JSON" of an answer that was a redirect — and the agent's socket `HTTP 302 redirect to …`.
// Now each says `HTTP 302 Found, a redirect to …, not followed: the coordinator never redirects, so something else
// answered`, the CLI without the "is not JSON" wrapper around any answer that says what it was itself.
import { describe, expect, it } from "vitest";
import { refusalVerdict } from "../../src/agent/close-codes.ts";
import { captureCli, connection, stubCoordinator } from "../support/cli-harness.ts";

const TOKEN = `gf_shop_${"E".repeat(43)}`;
const TO = "https://elsewhere.example/login";
const WORDS = `HTTP 302 Found, a redirect to ${TO}, not followed: the coordinator never redirects, so something else answered`;

describe("a redirect, in both programs", () => {
  it("is said in one wording by the CLI's REST call and the agent's socket", async () => {
    const { url } = await stubCoordinator((_req, reply) => reply.text(302, "", "text/plain", { location: TO }));
    const run = await captureCli(["jobs", ...connection(url, "shop", TOKEN)]);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      `✘ ERROR bad_response: the answer from ${url}/api/v1/products/shop/jobs?limit=50 is no coordinator's: ${WORDS} / ` +
        "check that --url / GIGAFACTORY_URL points at a Gigafactory coordinator, not a proxy or another service\n",
    );
    const socket = refusalVerdict(302, "", { location: TO, statusText: "Found" });
    expect(socket).toEqual({
      kind: "retry",
      why: `connect refused: ${WORDS} (is --url the coordinator's own address?)`,
    });
  });
});
