// `gigafactory routing experiment start --a-weight KEY=N --b-weight KEY=N` over a real local socket: an arm's router
// weights override (README "Learned routing": an A/B between two routing policies — weights and/or prefer/avoid
// rules) had no write path but the raw API, the CLI taking rules only. Each flag, repeatable, sets one weight of its
// arm (alone, or beside the arm's rules) in the POSTed body; a weight key that is not one (with the nearest named),
// `starvation` (it orders the whole queue: no arm may set it), a value that is not a number from 0 to 100 or an
// argument with no `=` is a usage error (exit 2) that sends nothing; `show` prints the arm's weights as they came.
import { describe, expect, it } from "vitest";
import { captureCli, connection, stubCoordinator } from "../support/cli-harness.ts";

const VIEW = {
  id: "ex_1",
  jobClass: "docs",
  status: "running",
  split: 0.5,
  guardrail: { metric: "success_rate", margin: 0.1, confidence: 0.95 },
  minSamples: 20,
  startedAt: 1_700_000_000_000,
  startedBy: "ops",
  looks: 0,
  arms: {
    A: { policy: { weights: { load: 2 } }, n: 0, successes: 0, successRate: null, meanCostUsd: null },
    B: { policy: { weights: { track: 0 } }, n: 0, successes: 0, successRate: null, meanCostUsd: null },
  },
  decision: null,
};

async function coordinator() {
  const stub = await stubCoordinator((req, reply) => {
    if (req.url.endsWith("/factories")) return reply.json(200, { factories: [{ id: "fac_g1", name: "gpu" }] });
    return reply.json(req.method === "POST" ? 201 : 200, VIEW);
  });
  return { url: stub.url, seen: stub.lines, bodies: stub.bodies };
}

const start = (url: string, ...argv: string[]) =>
  captureCli(["routing", "experiment", "start", "--class", "docs", ...argv, ...connection(url, "p")]);

describe("gigafactory routing experiment start --a-weight / --b-weight", () => {
  it("sends each arm's weights, alone or beside its rules", async () => {
    const { url, seen, bodies } = await coordinator();
    const r = await start(url, "--a-weight", "load=2", "--b-weight", "track=0", "--b-weight", "costFit=1.5");
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(seen).toEqual(["POST /api/v1/products/p/routing/experiments"]); // no rule: no fleet read
    expect(bodies[0]).toMatchObject({
      arms: { A: { weights: { load: 2 } }, B: { weights: { track: 0, costFit: 1.5 } } },
    });
    const both = await start(url, "--a-prefer", "gpu", "--a-weight", "health=0.5");
    expect(both.code).toBe(0);
    expect((bodies.at(-1) as { arms: unknown }).arms).toEqual({
      A: { rules: [{ factoryId: "fac_g1", effect: "prefer" }], weights: { health: 0.5 } },
      B: {},
    });
  });

  it.each([
    [["--a-weight", "lod=2"], /"lod" is not a router weight.*did you mean "load"\?/],
    [["--b-weight", "starvation=3"], /an arm cannot set starvation/],
    [["--a-weight", "load=abc"], /load=abc: the weight must be a number from 0 to 100/],
    [["--a-weight", "load=-1"], /load=-1: the weight must be a number from 0 to 100/],
    [["--a-weight", "load=101"], /load=101: the weight must be a number from 0 to 100/],
    [["--a-weight", "load"], /"load" is not KEY=N/],
    [["--a-weight", "load=1", "--a-weight", "load=2"], /--a-weight sets load twice/],
  ])("%j is a usage error that sends nothing", async (flags, message) => {
    const { url, seen } = await coordinator();
    const r = await start(url, ...flags);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^✘ ERROR usage: /);
    expect(r.stderr).toMatch(message);
    expect(seen).toEqual([]);
  });

  it("show prints each arm's weights", async () => {
    const { url } = await coordinator();
    const r = await captureCli(["routing", "experiment", "show", "ex_1", ...connection(url, "p")]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("weights load=2");
    expect(r.stdout).toContain("weights track=0");
  });
});
