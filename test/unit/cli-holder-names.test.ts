// `history` (a snapshot's HOLDER, a run's FACTORY), `serial list` / `freeze` / `unfreeze` (a run stopping on a
// factory), `routing rules` (a rule's FACTORY, and its REASON quoting a finding), `routing recs` (a FINDING) and
// `routing apply` / `unapply` (the ✔ line) name the factory as `jobs` does — demo-gpu, `name (id)` where two share
// the name, the id where the fleet list does not name it or cannot be read — where they printed its bare id
// (fac_0mxc6m72…). The fleet is read only when a row names a factory (never for the audit log); --json is the API's
// document, ids as they are.
import { describe, expect, it } from "vitest";
import { captureCli, connection, stubCoordinator } from "../support/cli-harness.ts";

const NOW = 1_700_000_060_000;
const FLEET = {
  factories: [
    { id: "fac_g", name: "demo-gpu" },
    { id: "fac_a", name: "box" },
    { id: "fac_b", name: "box" },
  ],
};
const SNAPSHOT = { at: NOW, jobId: "j1", rev: 3, stage: "building", attempt: 1, holderFactoryId: "fac_g", title: "t" };
const RUN = { startedAt: NOW, jobId: "j1", attempt: 1, factoryId: "fac_a", leaseEpoch: 1, endedAt: null };
const FINDING = "engine codex on fac_g fails 41 % of `lang:rust` jobs (n=37) vs 8 % elsewhere (n=80)";
const RULE = {
  id: "rr_1",
  effect: "avoid",
  factoryId: "fac_g",
  reason: `from: ${FINDING}`,
  createdAt: NOW,
  createdBy: "op",
};
const RULE_ASKED = { factoryId: "fac_g", engine: "codex", jobClass: "lang:rust", effect: "avoid", reason: "fails" };
const REC = {
  ...{ id: "rec_0a1b2c3d", kind: "failure_rate", factoryId: "fac_g", engine: "codex", jobClass: "lang:rust" },
  ...{ message: FINDING, evidence: { n: 37 }, rule: RULE_ASKED, appliedAs: null },
};
const GATE = {
  key: "release",
  holder: null,
  stopping: { jobId: "j2", factoryId: "fac_g", until: NOW + 60_000 },
  queue: [],
  queueLength: 0,
  frozen: null,
};

/** A stand-in coordinator; `fleet` false: its fleet list is refused (a viewer's 403). */
async function coordinator(fleet = true) {
  return stubCoordinator(({ url, method }, reply) => {
    if (url.includes("/factories"))
      return fleet
        ? reply.json(200, FLEET)
        : reply.json(403, { type: "t", title: "t", status: 403, detail: "no", code: "forbidden" });
    if (url.includes("kind=runs"))
      return reply.json(200, { kind: "runs", items: [RUN, { ...RUN, factoryId: "fac_x" }], more: false });
    if (url.includes("kind=audit"))
      return reply.json(200, {
        kind: "audit",
        items: [{ at: NOW, actor: "op", action: "x", target: "fac_g" }],
        more: false,
      });
    if (url.includes("/routing/recommendations")) return reply.json(200, { recommendations: [REC] });
    if (url.includes("/routing/rules"))
      return reply.json(method === "GET" ? 200 : 201, method === "GET" ? { rules: [RULE] } : RULE);
    if (url.includes("/history")) return reply.json(200, { kind: "snapshots", items: [SNAPSHOT], more: false });
    if (method === "POST") return reply.json(200, { ...GATE, frozen: { by: "op", reason: "r", at: NOW } });
    return reply.json(200, { keys: [GATE] });
  });
}

describe("a factory in history and serial is named as jobs names it", () => {
  it("history: a snapshot's HOLDER and a run's FACTORY by name, (id) beside a shared name, the id when unnamed", async () => {
    const stub = await coordinator();
    const cli = (...argv: string[]) => captureCli([...argv, ...connection(stub.url, "p")], { now: NOW });
    const snapshots = await cli("history");
    expect(snapshots.stdout).toMatch(/building\s+1\s+demo-gpu\s+t/);
    const runs = await cli("history", "--kind", "runs");
    expect(runs.stdout).toMatch(/j1\s+1\s+box \(fac_a\)\s+1\s+running/);
    expect(runs.stdout).toMatch(/j1\s+1\s+fac_x\s+1\s+running/);
    const json = await cli("history", "--json");
    expect(JSON.parse(json.stdout).items[0].holderFactoryId).toBe("fac_g");
    const before = stub.lines.filter((l) => l.includes("/factories")).length;
    await cli("history", "--kind", "audit");
    expect(stub.lines.filter((l) => l.includes("/factories")).length).toBe(before); // the audit log reads no fleet
  });

  it("serial list, freeze and unfreeze: a run stopping on a factory names it", async () => {
    const stub = await coordinator();
    const cli = (...argv: string[]) => captureCli([...argv, ...connection(stub.url, "p")], { now: NOW });
    const list = await cli("serial", "list");
    expect(list.stdout).toContain("j2 (stopping on demo-gpu, until");
    const frozen = await cli("serial", "freeze", "release", "--reason", "r");
    expect(frozen.stdout).toContain("holder j2 (stopping on demo-gpu, until");
    const open = await cli("serial", "unfreeze", "release");
    expect(open.stdout).toContain("holder j2 (stopping on demo-gpu, until");
  });

  it("routing rules: a rule's FACTORY by name, and in a REASON quoting a finding", async () => {
    const stub = await coordinator();
    const rules = await captureCli(["routing", "rules", ...connection(stub.url, "p")], { now: NOW });
    expect(rules.stdout, rules.stderr).toMatch(
      /rr_1\s+avoid\s+demo-gpu\s+any\s+any\s+from: engine codex on demo-gpu fails/,
    );
  });

  it("routing recs' FINDING, and apply's and unapply's ✔ lines, name the factory (--json keeps the ids)", async () => {
    const stub = await coordinator();
    const cli = (...argv: string[]) => captureCli([...argv, ...connection(stub.url, "p")], { now: NOW });
    const recs = await cli("routing", "recs");
    expect(recs.stdout, recs.stderr).toMatch(/rec_0a1b2c3d\s+failure_rate\s+-\s+engine codex on demo-gpu fails 41 %/);
    expect((await cli("routing", "apply", "rec_0a1b2c3d")).stdout).toMatch(
      /^✔ applied rec_0a1b2c3d as rule rr_1: avoid demo-gpu — undo with `gigafactory routing unapply rr_1`/,
    );
    expect((await cli("routing", "unapply", "rr_1")).stdout).toBe("✔ removed rule rr_1 (avoid demo-gpu)\n");
    expect(JSON.parse((await cli("routing", "recs", "--json")).stdout).recommendations[0].message).toBe(FINDING);
  });

  it("a fleet list that cannot be read leaves the ids", async () => {
    const stub = await coordinator(false);
    const cli = (...argv: string[]) => captureCli([...argv, ...connection(stub.url, "p")], { now: NOW });
    expect((await cli("history")).stdout).toMatch(/building\s+1\s+fac_g\s+t/);
    expect((await cli("serial", "list")).stdout).toContain("j2 (stopping on fac_g, until");
  });
});
