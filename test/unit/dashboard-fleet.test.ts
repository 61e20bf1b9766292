// The dashboard's Fleet line (dashboard/fleet.js `fleetSummary`) counts seats as the "seats busy" tile and the
// coordinator's metrics do — active factories that are up — and names the seats of factories down or never connected
// apart; the metrics tiles (dashboard/metrics.js `tilesOf`) show queued and blocked apart, so "queued" means what the
// header's "N queued" means; and the page has an inline icon, so no /favicon.ico request 404s.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
// @ts-expect-error plain browser JavaScript, typed by JSDoc only
import { fleetSummary } from "../../dashboard/fleet.js";
// @ts-expect-error plain browser JavaScript, typed by JSDoc only
import { tilesOf } from "../../dashboard/metrics.js";

const f = (over: Record<string, unknown>) => ({ seats: 1, load: 0, status: "active", health: "ok", ...over });

describe("dashboard fleet and tiles agree", () => {
  it("counts seats of active factories that are up, and names the others", () => {
    const fleet = [
      f({ seats: 1, lastHeartbeatAt: 1 }),
      f({ seats: 1, lastHeartbeatAt: 1, load: 1 }),
      f({ seats: 1, health: "down" }), // enrolled, never connected
      f({ seats: 4, status: "draining", lastHeartbeatAt: 1 }),
    ];
    expect(fleetSummary(fleet)).toBe(
      "4 factories · 1 of 2 seats busy · 1 more seat on factories down or never connected",
    );
    expect(fleetSummary([f({ seats: 2, lastHeartbeatAt: 1 })])).toBe("1 factory · 0 of 2 seats busy");
  });

  it("counts busy only the seats it counts: a lease held on a factory gone down or draining is named apart", () => {
    const fleet = [
      f({ seats: 2, lastHeartbeatAt: 1, load: 1 }),
      f({ seats: 1, lastHeartbeatAt: 1, health: "down", load: 1 }),
    ];
    expect(fleetSummary(fleet)).toBe(
      "2 factories · 1 of 2 seats busy · 1 more seat on factories down or never connected · 1 more job held by factories down",
    );
    // Before: "3 of 2 seats busy".
    const draining = f({ seats: 3, lastHeartbeatAt: 1, status: "draining", load: 2 });
    expect(fleetSummary([...fleet, draining])).toBe(
      "3 factories · 1 of 2 seats busy · 1 more seat on factories down or never connected · 3 more jobs held by factories down, draining",
    );
  });

  it("shows queued and blocked as two tiles", () => {
    const m = {
      queue: { depthByStage: { queued: 1, blocked: 2 } },
      seats: { busy: 0, total: 2, utilisation: 0 },
      dispatchLatencyMs: { buckets: [], count: 0 },
    };
    const tiles = new Map(tilesOf(m).map(([label, value]: [string, string]) => [label, value]));
    expect(tiles.get("queued")).toBe("1");
    expect(tiles.get("blocked")).toBe("2");
    expect(tiles.get("seats busy")).toBe("0/2");
  });

  it("has an inline SVG icon in the page head", () => {
    const html = readFileSync(new URL("../../dashboard/index.html", import.meta.url), "utf8");
    expect(html).toMatch(/<link rel="icon" href="data:image\/svg\+xml,[^"]+"/);
  });
});
