// Explain and the fleet view say a closed socket's factory the same way: its heartbeats say `ok` (health is
// heartbeat-based), its link ended (core/factory-link `linkEndedWhileUp`) — the router refuses it as
// `factory_disconnected`, not `factory_down` (explain said "down" beside the fleet view's health ok); one whose
// heartbeats lapsed is still `factory_down`, one that left `factory_left`; the waiting reason still reads it as
// not connected (core/waiting-fleet `fleetCause`).
import { describe, expect, it } from "vitest";
import type { Factory, Job } from "../../src/core/model.ts";
import { filterReasons } from "../../src/core/route-filter.ts";
import type { RouteContext } from "../../src/core/router.ts";
import { fleetCause, reachableViews } from "../../src/core/waiting-fleet.ts";
import { factoryFixture, jobFixture } from "../support/fixtures.ts";

const NOW = 1_700_000_000_000;
const ctx: RouteContext = { now: NOW };
const job: Job = jobFixture(NOW, {});
const factory = (over: Partial<Factory>): Factory => factoryFixture(NOW, { lastHeartbeatAt: NOW - 1_000, ...over });

describe("a factory whose link ended, as explain refuses it", () => {
  it("is factory_disconnected while its heartbeats say up, factory_down once they lapsed, factory_left when it left", () => {
    const fleet = [
      factory({ id: "f-ok", health: "ok" }),
      factory({ id: "f-degraded", health: "degraded" }),
      factory({ id: "f-down", health: "down" }),
      factory({ id: "f-left", health: "left" }),
    ];
    const views = reachableViews(fleet, new Set());
    expect(views.map((v) => filterReasons(job, v, ctx)[0])).toEqual([
      "factory_disconnected",
      "factory_disconnected",
      "factory_down",
      "factory_left",
    ]);
    expect(fleetCause(job, views, ctx)).toMatchObject({ code: "no_factory_connected" });
  });

  it("is neither once connected", () => {
    const [linked] = reachableViews([factory({ id: "f-ok", health: "ok" })], new Set(["f-ok"]));
    expect(filterReasons(job, linked!, ctx)).toEqual([]);
  });
});
