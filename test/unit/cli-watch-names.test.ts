// `gigafactory watch ID` names the factories its lines speak of as `jobs` names them (cli/factory-names): a lease
// granted or lost, an eviction, a cleared exclusion and a stop over budget read "lease to demo-gpu", "box (fac_a)"
// where two share the name, the id where the fleet list does not name it — they printed `factoryId=fac_… why=expired`
// as k=v pairs, or "on fac_…". A lease expiry says its holder's link lost at T, else its last heartbeat at T, and how
// long it is kept from the job, each in UTC. The fleet is read once for the ids it names, again only for an id it did
// not (a factory enrolled since), and never under --json, whose lines stay the API's events.
import { describe, expect, it } from "vitest";
import { eventLine } from "../../src/cli/commands/watch.ts";
import { captureCli, connection, stubCoordinator } from "../support/cli-harness.ts";

type Ev = { seq: number; type: string; at: number; data: Record<string, unknown> };
const AT = Date.UTC(2026, 11, 6, 18, 0, 0);
const ev = (seq: number, type: string, data: Record<string, unknown>): Ev => ({ seq, type, at: AT + seq, data });
const FLEET = {
  factories: [
    { id: "fac_g", name: "demo-gpu" },
    { id: "fac_a", name: "box" },
    { id: "fac_b", name: "box" },
  ],
};
const EVENTS: Ev[] = [
  ev(1, "lease.granted", { factoryId: "fac_g", leaseEpoch: 1, expiresAt: AT + 60_000, attempt: 1 }),
  ev(2, "lease.lost", {
    factoryId: "fac_g",
    leaseEpoch: 1,
    why: "expired",
    excludedUntil: AT + 600_000,
    lastHeartbeatAt: AT + 5_000,
  }),
  ev(3, "lease.granted", { factoryId: "fac_a", leaseEpoch: 2, expiresAt: AT + 120_000, attempt: 2 }),
  ev(4, "lease.lost", { factoryId: "fac_a", leaseEpoch: 2, why: "expired", linkLostAt: AT + 7_000 }),
  ev(5, "job.preempted", { by: "job_9", factoryId: "fac_x", leaseEpoch: 3 }),
  ev(6, "exclusion.cleared", { factoryId: "fac_g", why: "its capabilities changed" }),
  ev(7, "job.budget_exceeded", { why: "cost $1.20 exceeds the job budget $1.00", factoryId: "fac_g", leaseEpoch: 4 }),
  ev(8, "job.stage", { from: "building", to: "cancelled", leaseEpoch: 4 }),
];

async function coordinator() {
  return stubCoordinator((req, reply) => {
    const url = new URL(req.url, "http://x");
    if (url.pathname.endsWith("/factories")) return reply.json(200, FLEET);
    const after = Number(url.searchParams.get("after") ?? 0);
    const events = EVENTS.filter((e) => e.seq > after);
    if (url.pathname.endsWith("/events/stream")) {
      const sse = events.map((e) => `id: ${e.seq}\nevent: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`).join("");
      return reply.text(200, sse, "text/event-stream");
    }
    if (url.pathname.endsWith("/events")) return reply.json(200, { events, lastSeq: 8 });
    return reply.json(200, { id: "job_1", title: "T", stage: "cancelled", waitingReason: null });
  });
}

describe("watch names the factories its lines speak of", () => {
  it("by name, (id) beside a shared name, the id where the fleet does not name it; an expiry's last sight in UTC", async () => {
    const stub = await coordinator();
    const run = await captureCli(["watch", "job_1", ...connection(stub.url, "p")]);
    expect(run.code).toBe(0);
    const lines = run.stdout.trim().split("\n");
    expect(lines[0]).toMatch(/lease\.granted {2}lease to demo-gpu · epoch 1 · until 2026-12-06T18:01:00Z · attempt 1$/);
    expect(lines[1]).toMatch(
      /lease\.lost {2}lease lost by demo-gpu · epoch 1 · expired · demo-gpu's last heartbeat at 2026-12-06T18:00:05Z · kept from demo-gpu until 2026-12-06T18:10:00Z$/,
    );
    expect(lines[2]).toContain("lease to box (fac_a) · epoch 2");
    expect(lines[3]).toMatch(
      /lease lost by box \(fac_a\) · epoch 2 · expired · box \(fac_a\) lost its link at 2026-12-06T18:00:07Z$/,
    );
    expect(lines[4]).toMatch(/job\.preempted {2}preempted by job_9 · on fac_x · epoch 3$/);
    expect(lines[5]).toMatch(/exclusion\.cleared {2}demo-gpu may take it again · its capabilities changed$/);
    expect(lines[6]).toMatch(
      /stopped over budget: cost \$1\.20 exceeds the job budget \$1\.00 · on demo-gpu · epoch 4$/,
    );
    expect(run.stdout).not.toContain("factoryId=");
    // One read at the first line's fac_g (it names fac_a too), one at fac_x, which it did not name; none after.
    expect(stub.lines.filter((l) => l.includes("/factories"))).toHaveLength(2);
  });

  it("reads no fleet under --json: its lines are the API's events", async () => {
    const stub = await coordinator();
    const run = await captureCli(["watch", "job_1", "--json", ...connection(stub.url, "p")]);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout.split("\n")[0] ?? "")).toMatchObject({ data: { factoryId: "fac_g" } });
    expect(stub.lines.filter((l) => l.includes("/factories"))).toEqual([]);
  });

  it("says a lease lost otherwise by its why alone, and an unnamed factory by its id", () => {
    const lost = eventLine(ev(9, "lease.lost", { factoryId: "fac_q", leaseEpoch: 5, why: "revoked" }));
    expect(lost).toMatch(/lease\.lost {2}lease lost by fac_q · epoch 5 · revoked$/);
  });
});
