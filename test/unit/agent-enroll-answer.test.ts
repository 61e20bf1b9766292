// `gigafactory-agent enroll` checks the coordinator's 2xx answer before it saves or says anything (agent/enroll-answer):
// an answer of another shape — `{}`, `null`, no token, a token no header can carry, another product's token, a
// factory with no record — is `✘ ERROR bad_response` (exit 1), naming the field and never the token, with no config
// file written. It crashed as an `internal` bug of the agent (TypeError … 'seatLimit') or said `✔ enrolled` and saved a
// config that `run` then refused. A real agent process against a stand-in coordinator on loopback.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { enrollStandIn } from "./agent-enroll-fixture.ts";
import { runAgent } from "./agent-process.ts";

const SECRET = "Q".repeat(43);
const TOKEN = `gf_acme_${SECRET}`;
/** What the stand-in answers the next enrollment with, status 201. */
let answer: unknown;
const stand = enrollStandIn("gf-agent-enroll-answer-", () => ({ status: 201, body: answer }));
const { dir } = stand;
let url = "";
beforeAll(() => {
  url = stand.url;
});

/** Enrolls into product acme with a well-formed code, state in `dir/<state>`, the stand-in answering `body`. */
function enrollAnswered(body: unknown, state: string) {
  answer = body;
  const code = `gfe_acme_${"C".repeat(43)}`;
  return runAgent(["enroll", "--url", url, "--code", code, "--name", "h1", "--state-dir", path.join(dir, state)]);
}

const factory = { id: "fac_1", name: "h1", capabilities: [], seats: 1, seatLimit: 1 };

describe("enroll refuses an answer that is not an enrolled factory with its token", () => {
  const cases: [string, unknown, RegExp][] = [
    ["an empty object", {}, /\(factoryId: /],
    ["null", null, /not an enrolled factory with its token/],
    ["no token", { factoryId: "fac_1", factory }, /\(token: /],
    ["a token with a line break", { factoryId: "fac_1", token: `${TOKEN}\nX`, factory }, /\(token: not a factory/],
    ["another product's token", { factoryId: "fac_1", token: `gf_other_${SECRET}`, factory }, /\(token: not a/],
    ["an enrollment code as the token", { factoryId: "fac_1", token: `gfe_acme_${SECRET}`, factory }, /\(token: /],
    ["no factory record", { factoryId: "fac_1", token: TOKEN }, /\(factory: /],
  ];
  for (const [what, body, names] of cases) {
    it(`${what}: bad_response, exit 1, nothing saved, no token printed`, async () => {
      const state = what.replace(/\W+/g, "-");
      const r = await enrollAnswered(body, state);
      expect(r.stderr).toContain("✘ ERROR bad_response");
      expect(r.stderr).toMatch(names);
      expect(r.stderr).not.toContain("this is a bug");
      expect(r.code).toBe(1);
      expect(r.out).not.toContain(SECRET);
      expect(r.out).not.toContain("✔");
      expect(existsSync(path.join(dir, state, "config.json"))).toBe(false);
    });
  }

  it("still enrolls on a whole answer, saving the token and the granted seats", async () => {
    const r = await enrollAnswered({ factoryId: "fac_1", token: TOKEN, factory }, "whole");
    expect(r.code).toBe(0);
    expect(r.out).not.toContain(SECRET);
    const saved = JSON.parse(readFileSync(path.join(dir, "whole", "config.json"), "utf8"));
    expect(saved).toMatchObject({ product: "acme", factoryId: "fac_1", token: TOKEN, seats: 1 });
  });
});
