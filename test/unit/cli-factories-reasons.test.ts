// `gigafactory factories` says why each factory out of rotation is so: under the table, each quarantined and each
// draining factory by name and id with its `statusReason` (the fleet answer's: `quarantined by ACTOR`, the error
// budget's rate) and the command that returns it — the count alone said neither which nor why — and `--json` keeps
// the field as answered. An active fleet prints no such footer.
import { describe, expect, it } from "vitest";
import type { Factory } from "../../src/core/model.ts";
import { captureCli, connection, stubCoordinator } from "../support/cli-harness.ts";
import { factoryFixture } from "../support/fixtures.ts";

const NOW = Date.UTC(2026, 0, 1, 12);
const factory = (over: Partial<Factory>): Factory =>
  factoryFixture(NOW - 60_000, { id: "fac_1", productId: "shop", lastHeartbeatAt: NOW - 1000, ...over });

const FLEET = [
  factory({}),
  factory({ id: "fac_q", name: "box-q", status: "quarantined", statusReason: "error rate 3 of 4 runs failed" }),
  factory({ id: "fac_d", name: "box-d", status: "draining", statusReason: "draining by ops@example.com" }),
];

async function fleet(factories: Factory[]) {
  return stubCoordinator((_req, reply) => reply.json(200, { factories }));
}

describe("gigafactory factories: why a factory is out of rotation", () => {
  it("names each quarantined and draining factory with its reason and the command that returns it", async () => {
    const { url } = await fleet(FLEET);
    const r = await captureCli(["factories", ...connection(url, "shop")], { now: NOW });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      "1 factory quarantined (error budget or an operator); return one to work with `gigafactory factory release ID`:\n" +
        "  box-q (fac_q): error rate 3 of 4 runs failed\n",
    );
    expect(r.stdout).toContain(
      "1 factory draining (finishing what they hold, given no new work); return one to work with `gigafactory factory activate ID`:\n" +
        "  box-d (fac_d): draining by ops@example.com\n",
    );
  });

  it("--json keeps each statusReason as the fleet answered it", async () => {
    const { url } = await fleet(FLEET);
    const r = await captureCli(["factories", "--json", ...connection(url, "shop")], { now: NOW });
    const doc = JSON.parse(r.stdout) as { factories: Factory[] };
    expect(doc.factories.map((f) => f.statusReason)).toEqual([
      undefined,
      FLEET[1]!.statusReason,
      FLEET[2]!.statusReason,
    ]);
  });

  it("an active fleet has no such footer", async () => {
    const { url } = await fleet([factory({})]);
    const r = await captureCli(["factories", ...connection(url, "shop")], { now: NOW });
    expect(r.stdout).not.toMatch(/quarantined|draining/);
  });
});
