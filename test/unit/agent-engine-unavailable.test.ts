// An engine the operator configured (`--engine NAME=…`) whose command is not there when `run` starts was dropped
// without a word: jobs naming it waited `no_capable_factory`, nothing said why, and installing the command changed
// nothing until a restart. Now it is withdrawn from the start (agent/engine-unavailable): `engine.withdrawn` says
// what keeps it from starting, and once the command is there SIGUSR2 offers it (`engine.restored`), as any withdrawn
// engine. A path that does not exist is said to be no such file, not "not found on the engine's PATH". The real
// agent process, offline (127.0.0.1:2); `withUnavailable` alone for the table's order and capabilities.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { withUnavailable } from "../../src/agent/engine-unavailable.ts";
import { until } from "./agent-fakes.ts";
import { offlineRunArgs, startAgent } from "./agent-process.ts";

const dir = mkdtempSync(path.join(tmpdir(), "gf-agent-engine-unavailable-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("an operator's engine missing when run starts", () => {
  it("is said withdrawn with why, and offered once installed and SIGUSR2 says so", async () => {
    const bin = path.join(dir, "late-engine");
    const agent = startAgent([...offlineRunArgs(path.join(dir, "state")), "--engine", `late=${bin}`, "--json"]);
    try {
      const events = agent.events;
      const withdrawn = await until("engine.withdrawn", () => events().find((e) => e.event === "engine.withdrawn"));
      expect(withdrawn).toMatchObject({ engine: "late" });
      expect(withdrawn.message).toContain(`engine late is not offered (${bin}: no such file)`);
      await until("connecting", () => events().some((e) => e.event === "connecting")); // the signal handler is set
      writeFileSync(bin, "#!/bin/sh\nexit 0\n");
      chmodSync(bin, 0o755);
      process.kill(agent.pid, "SIGUSR2");
      const restored = await until("engine.restored", () => events().find((e) => e.event === "engine.restored"));
      expect(restored.message).toBe("engine late looks startable again: offered again");
    } finally {
      await agent.stop();
    }
  });

  it("sits in its place in the preference order, its capability left to the offer to withhold", () => {
    const profile = {
      engines: new Map([["sample", "node s.mjs"]]),
      capabilities: ["engine:sample", "has:git", "os:linux"],
    };
    const table = withUnavailable(
      profile,
      { late: "/opt/late", sample: "node s.mjs" },
      () => "/opt/late: no such file",
    );
    expect([...table.engines.keys()]).toEqual(["late", "sample"]);
    expect(table.unavailable).toEqual(new Map([["late", "/opt/late: no such file"]]));
    expect(table.capabilities).toEqual(["engine:late", "engine:sample", "has:git", "os:linux"]);
    expect(withUnavailable(profile, {}, () => "x")).toEqual({ ...profile, unavailable: new Map() });
  });
});
