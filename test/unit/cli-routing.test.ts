// `gigafactory routing` over a real local socket: `recs` shows each finding with its id, kind and applied rule;
// `apply ID` reads the current findings and POSTs that one's avoid rule with fromRecommendation; an id that is not
// a current finding is `✘ ERROR not_found` with how to fix it and sends no POST; `rules` lists, `unapply` DELETEs,
// `rebuild` POSTs and reports the counts; `--json` prints the API's documents.
import { describe, expect, it } from "vitest";
import { captureCli, connection, stubCoordinator } from "../support/cli-harness.ts";

const NOW = 1_700_000_060_000;
const REC = {
  id: "rec_0a1b2c3d",
  kind: "failure_rate",
  factoryId: "box-3",
  engine: "codex",
  jobClass: "lang:rust",
  message: "engine codex on box-3 fails 41 % of `lang:rust` jobs (n=37) vs 8 % elsewhere (n=80)",
  evidence: { n: 37 },
  rule: { factoryId: "box-3", engine: "codex", jobClass: "lang:rust", effect: "avoid", reason: "fails 41 %" },
  appliedAs: null,
};
const RULE = {
  id: "rr_1",
  factoryId: "box-3",
  engine: "codex",
  jobClass: "lang:rust",
  effect: "avoid",
  reason: "fails 41 %",
  createdAt: NOW,
  createdBy: "op",
};

async function coordinator(): Promise<{ url: string; seen: string[]; bodies: unknown[] }> {
  const { url, lines, bodies } = await stubCoordinator(({ method, url }, reply) => {
    const status = method === "POST" && url.endsWith("/rules") ? 201 : 200;
    if (url.endsWith("/routing/recommendations")) return reply.json(status, { recommendations: [REC] });
    if (url.endsWith("/routing/rebuild")) return reply.json(status, { counted: 24, skipped: 1, chunks: 1 });
    if (url.endsWith("/routing/rules") && method === "GET") return reply.json(status, { rules: [RULE] });
    return reply.json(status, RULE);
  });
  return { url, seen: lines, bodies };
}

const cli = (url: string, ...argv: string[]) => captureCli([...argv, ...connection(url, "p")], { now: NOW });

describe("gigafactory routing", () => {
  it("recs shows the findings; --json prints the document", async () => {
    const { url } = await coordinator();
    const out = await cli(url, "routing", "recs");
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(/^ID\s+KIND\s+APPLIED\s+FINDING\n/);
    expect(out.stdout).toMatch(/rec_0a1b2c3d\s+failure_rate\s+-\s+engine codex on box-3 fails 41 %/);
    expect(JSON.parse((await cli(url, "routing", "recs", "--json")).stdout)).toEqual({ recommendations: [REC] });
  });

  it("apply POSTs the finding's rule with fromRecommendation; an unknown id is not_found and posts nothing", async () => {
    const { url, seen, bodies } = await coordinator();
    const ok = await cli(url, "routing", "apply", REC.id);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(
      /^✔ applied rec_0a1b2c3d as rule rr_1: avoid box-3 — undo with `gigafactory routing unapply rr_1`/,
    );
    // Beside the fleet list the ✔ line reads to name the rule's factory (cli/factory-names).
    expect(seen.filter((l) => !l.endsWith("/factories"))).toEqual([
      "GET /api/v1/products/p/routing/recommendations",
      "POST /api/v1/products/p/routing/rules",
    ]);
    expect(bodies).toEqual([{ ...REC.rule, fromRecommendation: REC.id }]);
    const gone = await cli(url, "routing", "apply", "rec_ffffffff");
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(
      /^✘ ERROR not_found: no recommendation rec_ffffffff now \/ run `gigafactory routing recs`/,
    );
    expect(seen.filter((s) => s.startsWith("POST"))).toHaveLength(1);
  });

  it("apply of a finding already applied says which rule holds it and posts nothing", async () => {
    const { url, seen } = await stubCoordinator(({ url }, reply) =>
      url.endsWith("/routing/recommendations")
        ? reply.json(200, { recommendations: [{ ...REC, appliedAs: "rr_9" }] })
        : reply.json(201, RULE),
    ).then((s) => ({ url: s.url, seen: s.lines }));
    const again = await cli(url, "routing", "apply", REC.id);
    expect(again.code).toBe(0);
    expect(again.stdout).toBe("✔ rec_0a1b2c3d is already applied as rule rr_9 — nothing to do\n");
    expect(seen.filter((s) => s.startsWith("POST"))).toHaveLength(0);
  });

  it("rules lists, unapply DELETEs, rebuild POSTs and reports the counts", async () => {
    const { url, seen } = await coordinator();
    expect((await cli(url, "routing", "rules")).stdout).toMatch(
      /rr_1\s+avoid\s+box-3\s+codex\s+lang:rust\s+fails 41 %/,
    );
    expect((await cli(url, "routing", "unapply", "rr_1")).stdout).toBe("✔ removed rule rr_1 (avoid box-3)\n");
    expect((await cli(url, "routing", "rebuild")).stdout).toMatch(/^✔ rebuilt: 24 runs counted, 1 skipped/);
    // Beside the fleet list `rules` reads to name a rule's factory (cli/factory-names).
    expect(seen.filter((l) => !l.startsWith("GET /api/v1/products/p/factories")).slice(1)).toEqual([
      "DELETE /api/v1/products/p/routing/rules/rr_1",
      "POST /api/v1/products/p/routing/rebuild",
    ]);
  });
});
