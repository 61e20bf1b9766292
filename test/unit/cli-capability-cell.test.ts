// `gigafactory factories`' CAPABILITIES cell keeps the capability that tells hosts apart: a demo host's list cut at
// the column's 48 characters from its end lost `tpu`, the one a job required (newcomer N). A list that fits reads as it
// came; one that does not shows an operator's own capabilities first, then engines, and leaves out the ones the agent
// detects on every host (os:, arch:, node:, has:) first, saying how many (`+N`); pending ones still follow. One too
// long for the cell is passed over, not the end of it: a 50-character capability left a bare `+9`. A long pending
// list no longer takes the routed ones' room: they are fit beside its start, and the table cuts its end (it read `+3`).
import { describe, expect, it } from "vitest";
import { capabilityCell } from "../../src/cli/capability-cell.ts";
import { factoryRows } from "../../src/cli/commands/factories.ts";
import { renderTable, width } from "../../src/cli/table.ts";
import type { Factory } from "../../src/shared/http-client.ts";

const DEMO = ["os:linux", "arch:x64", "node:22", "engine:sample", "has:git", "has:docker", "tpu"];
const NOW = 1_700_000_060_000;

describe("the CAPABILITIES cell", () => {
  it("keeps a rare capability of a long list, and says how many it left out", () => {
    const cell = capabilityCell(DEMO, undefined, 48);
    expect(cell).toBe("tpu,engine:sample,os:linux,arch:x64,node:22,+2");
    expect(width(cell)).toBeLessThanOrEqual(48);
  });

  it("shows a list that fits as it came, and none as a dash", () => {
    expect(capabilityCell(["has:docker", "os:linux"], undefined, 48)).toBe("has:docker,os:linux");
    expect(capabilityCell([], undefined, 48)).toBe("—");
    expect(capabilityCell([], ["cuda"], 48)).toBe("— (pending: cuda)");
  });

  it("keeps room for the pending ones, and a count alone when no capability fits", () => {
    expect(capabilityCell(DEMO, ["cuda"], 48)).toBe("tpu,engine:sample,os:linux,+4 (pending: cuda)");
    expect(capabilityCell(["a-very-long-capability-name"], undefined, 10)).toBe("+1");
  });

  it("keeps the routed capabilities beside a long pending list, whose end the table cuts", () => {
    const pending = ["gpu-a100-80gb-interconnect", "another-long-pending-capability"];
    const cell = capabilityCell(["os:linux", "engine:codex", "tpu"], pending, 48);
    expect(cell).toBe(
      "tpu,engine:codex,os:linux (pending: gpu-a100-80gb-interconnect,another-long-pending-capability)",
    );
    expect(renderTable([{ header: "C", max: 48 }], [[cell]]).split("\n")[1]).toMatch(
      /^tpu,engine:codex,os:linux \(pending: gpu/,
    );
  });

  it("passes over a capability too long for the cell, and shows the shorter ones after it", () => {
    const long = `region:${"x".repeat(43)}`; // 50 characters: more than the cell's 48
    expect(capabilityCell([long, ...DEMO], undefined, 48)).toBe("tpu,engine:sample,os:linux,arch:x64,node:22,+3");
    // Every width from 0 to 20: never a capability past the width, the count always there.
    for (let w = 0; w <= 20; w++) {
      const cell = capabilityCell([long, ...DEMO], undefined, w);
      expect(cell, String(w)).toMatch(/\+\d+$/);
      if (cell.includes(",")) expect(width(cell), String(w)).toBeLessThanOrEqual(w);
    }
  });

  it("is what the factories table shows, through its cut", () => {
    const f = {
      id: "fac_1",
      name: "demo-gpu",
      capabilities: DEMO,
      seats: 1,
      load: 1,
      health: "ok",
      status: "active",
      lastHeartbeatAt: NOW,
      connected: true,
    } as unknown as Factory;
    const table = renderTable(
      [{ header: "C", max: 48 }],
      factoryRows([f], NOW).map((r) => [r[6]!]),
    );
    expect(table.split("\n")[1]).toBe("tpu,engine:sample,os:linux,arch:x64,node:22,+2");
  });
});
