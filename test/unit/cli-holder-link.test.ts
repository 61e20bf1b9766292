// A held job whose holder lost its link says so where the holder is shown (cli/holder-link): after a `kill -9` of the
// agent, `jobs` read `building`, HOLDER host-a, WAITING `—`, and `job` said `holder host-a … (expires in 27s)` — only
// `factories` said host-a's link was lost. From the fleet list's `connected`/`disconnectedAt`, read once with the names.
import { describe, expect, it } from "vitest";
import { renderJob } from "../../src/cli/commands/job.ts";
import { jobRows } from "../../src/cli/commands/jobs.ts";
import type { Factory } from "../../src/shared/http-client.ts";
import type { JobSummary } from "../../src/shared/responses.ts";
import { captureCli, connection, stubCoordinator } from "../support/cli-harness.ts";
import { jobFixture } from "../support/fixtures.ts";

const NOW = Date.UTC(2026, 0, 2, 3, 4, 5);
const held = jobFixture(NOW, {
  id: "job_b",
  stage: "building",
  holderFactoryId: "fac_a",
  leaseEpoch: 1,
  leaseExpiresAt: NOW + 27_000,
});
const host = (over: Partial<Factory> & Record<string, unknown>) =>
  ({
    id: "fac_a",
    productId: "p",
    name: "host-a",
    capabilities: [],
    seats: 1,
    load: 1,
    health: "ok",
    status: "active",
    createdAt: NOW - 600_000,
    lastHeartbeatAt: NOW - 25_000,
    ...over,
  }) as Factory;
const lost = host({ connected: false, disconnectedAt: NOW - 20_000 });
const linked = host({ connected: true, disconnectedAt: null });

describe("jobs: a holder's lost link in WAITING", () => {
  const row = (f: Factory) =>
    jobRows(
      [{ ...held, waitingReason: null } as JobSummary],
      NOW,
      new Map([["fac_a", "host-a"]]),
      new Map([["fac_a", f]]),
    );

  it("says the holder lost its link and when its lease expires; nothing while it is linked or unsaid", () => {
    expect(row(lost)[0]![7]).toBe("host-a: link lost 20s ago; its lease expires in 27s unless its agent comes back");
    expect(row(linked)[0]![7]).toBe("—");
    expect(row(host({}))[0]![7]).toBe("—"); // an older coordinator says nothing of links
  });

  it("reads the links with the names from the one fleet read", async () => {
    const stub = await stubCoordinator((req, reply) => {
      if (req.url.includes("/factories")) return reply.json(200, { factories: [lost] });
      reply.json(200, { jobs: [{ ...held, bodyMd: undefined, waitingReason: null }] });
    });
    const r = await captureCli(["jobs", ...connection(stub.url, "p")], { now: NOW });
    expect(r.stdout).toContain("host-a: link lost 20s ago; its lease expires in 27s unless its agent comes back");
    expect(stub.lines.filter((l) => l.includes("/factories"))).toHaveLength(1);
  });
});

describe("job ID: a holder's lost link on its holder line", () => {
  it("says link lost beside the lease's expiry; nothing more while linked", async () => {
    const links = (f: Factory) => new Map([["fac_a", f]]);
    const names = new Map([["fac_a", "host-a"]]);
    expect(renderJob(held, [], NOW, undefined, names, links(lost))).toMatch(
      /holder\s+host-a fac_a \(expires in 27s\) — link lost 20s ago/,
    );
    expect(renderJob(held, [], NOW, undefined, names, links(linked))).toMatch(
      /holder\s+host-a fac_a \(expires in 27s\)\n/,
    );
    const stub = await stubCoordinator((req, reply) => {
      if (req.url.includes("/factories")) return reply.json(200, { factories: [lost] });
      if (req.url.endsWith("/runs")) return reply.json(200, { runs: [] });
      reply.json(200, { ...held, waitingReason: null });
    });
    const r = await captureCli(["job", "job_b", ...connection(stub.url, "p")], { now: NOW });
    expect(r.stdout).toMatch(/holder\s+host-a fac_a \(expires in 27s\) — link lost 20s ago/);
  });
});
