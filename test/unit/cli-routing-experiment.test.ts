// `gigafactory routing experiment` over a real local socket (issue 11 part 4): `start` POSTs the body built from its
// options (arms' prefer/avoid rules, split, guardrail, min samples) and prints the id; an arm's factory may be given
// by name (resolved to its id through the factories list) or id, and an unknown or shared name is one `✘ ERROR` line
// naming the candidates that sends nothing; a bad number, a success_rate margin ≥ 1 or an id that is not an
// experiment id (`ex_…`) is a usage error (exit 2) that sends nothing; `show ID` prints the arms' counts and rates,
// min samples, who started it when and the decision; `show` alone lists all; `stop ID` POSTs to …/stop; `--json`
// prints the API's document.
import { describe, expect, it } from "vitest";
import { captureCli, connection, stubCoordinator } from "../support/cli-harness.ts";

const VIEW = {
  id: "ex_1",
  jobClass: "lang:rust",
  status: "concluded",
  split: 0.5,
  guardrail: { metric: "success_rate", margin: 0.1, confidence: 0.9 },
  minSamples: 8,
  startedAt: 1_700_000_000_000,
  startedBy: "ops-lead",
  looks: 2,
  arms: {
    A: {
      policy: { rules: [{ factoryId: "good", effect: "prefer" }] },
      n: 11,
      successes: 10,
      successRate: 10 / 11,
      meanCostUsd: null,
    },
    B: {
      policy: { rules: [{ factoryId: "bad", effect: "prefer" }] },
      n: 9,
      successes: 3,
      successRate: 1 / 3,
      meanCostUsd: 0.5,
    },
  },
  decision: {
    at: 1_700_000_600_000,
    by: "guardrail",
    winner: "A",
    loser: "B",
    reason: "arm B succeeds more than 0.1 below the other arm at 0.9 confidence",
  },
};

/** The fleet the arms' factory names resolve through: `good` and `bad` are ids; two factories share a name. */
const FLEET = [
  { id: "good", name: "box-good" },
  { id: "bad", name: "box-bad" },
  { id: "fac_g1", name: "demo-gpu" },
  { id: "fac_t1", name: "twin" },
  { id: "fac_t2", name: "twin" },
];

async function coordinator(): Promise<{ url: string; seen: string[]; bodies: unknown[] }> {
  const { url, lines, bodies } = await stubCoordinator((req, reply) => {
    if (req.url.endsWith("/factories")) return reply.json(200, { factories: FLEET });
    const status = req.method === "POST" && req.url.endsWith("/experiments") ? 201 : 200;
    if (req.url.endsWith("/routing/experiments") && req.method === "GET")
      return reply.json(status, { experiments: [VIEW] });
    return reply.json(status, VIEW);
  });
  return { url, seen: lines, bodies };
}

const cli = (url: string, ...argv: string[]) =>
  captureCli([...argv, ...connection(url, "p")], { now: 1_700_000_000_000 });

describe("gigafactory routing experiment", () => {
  it("start POSTs the arms, split and guardrail from the options", async () => {
    const { url, seen, bodies } = await coordinator();
    const argv = ["routing", "experiment", "start", "--class", "lang:rust", "--a-prefer", "good", "--b-prefer", "bad"];
    const out = await cli(
      url,
      ...argv,
      "--b-avoid",
      "good",
      "--split",
      "0.3",
      "--confidence",
      "0.9",
      "--min-samples",
      "8",
    );
    expect(out.code).toBe(0);
    expect(seen).toEqual(["GET /api/v1/products/p/factories", "POST /api/v1/products/p/routing/experiments"]);
    expect(bodies[0]).toEqual({
      jobClass: "lang:rust",
      arms: {
        A: { rules: [{ factoryId: "good", effect: "prefer" }] },
        B: {
          rules: [
            { factoryId: "bad", effect: "prefer" },
            { factoryId: "good", effect: "avoid" },
          ],
        },
      },
      split: 0.3,
      guardrail: { metric: "success_rate", margin: 0.1, confidence: 0.9 },
      minSamples: 8,
    });
    expect(out.stdout).toMatch(/✔ started ex_1 for lang:rust/);
  });

  it("start takes a factory's name as well as its id, refusing an unknown or shared name with the candidates", async () => {
    const { url, bodies } = await coordinator();
    const start = (...argv: string[]) => cli(url, "routing", "experiment", "start", "--class", "c", ...argv);
    expect((await start("--a-prefer", "demo-gpu", "--b-avoid", "box-bad")).code).toBe(0);
    expect(bodies.at(-1)).toMatchObject({
      arms: {
        A: { rules: [{ factoryId: "fac_g1", effect: "prefer" }] },
        B: { rules: [{ factoryId: "bad", effect: "avoid" }] },
      },
    });
    const unknown = await start("--a-prefer", "nope");
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(
      /^✘ ERROR not_found: no factory has the name or id nope \/ give one of: .*demo-gpu \(fac_g1\)/,
    );
    const shared = await start("--a-prefer", "twin");
    expect(shared.stderr).toMatch(/^✘ ERROR ambiguous: 2 factories are named twin: fac_t1, fac_t2 \/ give the id/);
    expect(bodies).toHaveLength(1); // the refused ones sent nothing
  });

  it("a bad number, a success_rate margin ≥ 1 or a malformed id is a usage error and sends nothing", async () => {
    const { url, seen } = await coordinator();
    const out = await cli(url, "routing", "experiment", "start", "--class", "c", "--split", "2");
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(/--split must be a number in \[0, 1\]/);
    // An empty word is not 0, nor is 1e400 a number: `Number("")` read as a margin of 0 before. Nor is 1e-400: it
    // read as 0 and was sent as a margin of 0 (cli/args `decimal`, every number the CLI reads from a word).
    for (const [flag, value] of [
      ["--margin", ""],
      ["--margin", "0x1"],
      ["--confidence", "1e400"],
      ["--margin", "1e-400"],
    ]) {
      const bad = await cli(url, "routing", "experiment", "start", "--class", "c", flag!, value!);
      expect({ flag, value, code: bad.code }).toEqual({ flag, value, code: 2 });
      expect(bad.stderr).toMatch(new RegExp(`^✘ ERROR usage: ${flag} must be a number in`));
    }
    const edge = await cli(url, "routing", "experiment", "start", "--class", "c", "--split", "1");
    expect(edge.code).toBe(2);
    expect(edge.stderr).toMatch(/--split must be above 0 and below 1/);
    const margin = await cli(url, "routing", "experiment", "start", "--class", "c", "--margin", "1");
    expect(margin.code).toBe(2);
    expect(margin.stderr).toMatch(/^✘ ERROR usage: --margin for success_rate is a difference of rates: below 1/);
    const costMargin = await cli(
      url,
      "routing",
      "experiment",
      "start",
      "--class",
      "c",
      "--metric",
      "cost",
      "--margin",
      "2",
    );
    expect(costMargin.code).toBe(0); // $2 a run is a cost margin
    for (const [verb, id] of [
      ["stop", "../jobs/job_1"],
      ["show", "ex_1/../../x"],
    ] as const) {
      const bad = await cli(url, "routing", "experiment", verb, id);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(/is not an experiment id \(ex_…\)/);
    }
    expect(seen).toEqual(["POST /api/v1/products/p/routing/experiments"]);
  });

  it("show prints the arms and the decision; show alone lists; stop POSTs; --json prints the document", async () => {
    const { url, seen } = await coordinator();
    const shown = await cli(url, "routing", "experiment", "show", "ex_1");
    expect(shown.stdout).toMatch(/^ex_1 {2}concluded {2}class lang:rust/);
    expect(shown.stdout).toMatch(/ {2}min samples 8 per arm {2}/);
    expect(shown.stdout).toContain("\nstarted 2023-11-14T22:13:20Z by ops-lead\n");
    expect(shown.stdout).toContain("decision (guardrail, 2023-11-14T22:23:20Z): arm A wins");
    expect(shown.stdout).toMatch(/\nA\s+11\s+10\s+91 %\s+-\s+/);
    expect(shown.stdout).toMatch(/\nB\s+9\s+3\s+33 %\s+\$0\.50\s+/);
    expect(shown.stdout).toMatch(/decision \(guardrail, [^)]*\): arm A wins — arm B succeeds/);
    expect((await cli(url, "routing", "experiment", "show")).stdout).toMatch(/^ex_1 {2}concluded/);
    expect((await cli(url, "routing", "experiment", "stop", "ex_1")).stdout).toMatch(/^✔ stopped ex_1\n/);
    expect(JSON.parse((await cli(url, "routing", "experiment", "show", "ex_1", "--json")).stdout)).toEqual(VIEW);
    // Each human answer beside a fleet read naming the arms' factories (cli/factory-names); none under --json.
    expect(seen.filter((l) => !l.endsWith("/factories"))).toEqual([
      "GET /api/v1/products/p/routing/experiments/ex_1",
      "GET /api/v1/products/p/routing/experiments",
      "POST /api/v1/products/p/routing/experiments/ex_1/stop",
      "GET /api/v1/products/p/routing/experiments/ex_1",
    ]);
    expect(seen.filter((l) => l.endsWith("/factories"))).toHaveLength(3);
  });

  it("POLICY says each arm's rules in words, its factories named as `routing rules` names them", async () => {
    const { url } = await stubCoordinator((req, reply) => {
      if (req.url.endsWith("/factories")) return reply.json(200, { factories: FLEET });
      const A = { ...VIEW.arms.A, policy: { rules: [{ factoryId: "fac_g1", effect: "prefer", engine: "codex" }] } };
      const B = { ...VIEW.arms.B, policy: { rules: [{ factoryId: "fac_t2", effect: "avoid" }], weights: { cost: 2 } } };
      return reply.json(200, {
        experiments: [
          { ...VIEW, arms: { A, B } },
          { ...VIEW, id: "ex_2", arms: { A: { ...A, policy: {} }, B: { ...B, policy: { odd: 1 } } } },
        ],
      });
    });
    const shown = await cli(url, "routing", "experiment", "show");
    expect(shown.stdout, shown.stderr).toMatch(/\nA\s+11\s+10\s+91 %\s+-\s+prefer demo-gpu for engine codex\n/);
    expect(shown.stdout).toMatch(/\nB\s+.*\$0\.50\s+avoid twin \(fac_t2\) · weights cost=2\n/);
    expect(shown.stdout).toMatch(/\nA\s+.*\s+the product's routing\n/);
    expect(shown.stdout).toMatch(/\nB\s+.*\s+\{"odd":1\}\n/);
    expect(shown.stdout).not.toContain("factoryId");
  });
});
