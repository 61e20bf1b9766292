// A default engine (claude, codex) installed after `run` started was offered only from the next start: SIGUSR2 and
// the periodic look covered withdrawn engines and the operator's `--engine`s only. Now the defaults not installed at
// start are said (`engine.absent`), looked for every recheck period and at once on SIGUSR2 (agent/engine-absent), and
// one found is offered (`engine.installed`): in the host's engines, its own choice for jobs naming none, and declared
// with `engine:NAME`. An engine the operator names itself is not an absent default. The real agent process, offline,
// on a PATH without claude or codex; EngineOffer alone for the periodic look.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { absentDefaults } from "../../src/agent/engine-absent.ts";
import { EngineOffer } from "../../src/agent/engine-offer.ts";
import { until } from "./agent-fakes.ts";
import { offlineRunArgs, startAgent } from "./agent-process.ts";

const dir = mkdtempSync(path.join(tmpdir(), "gf-agent-engine-absent-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("a default engine installed after run started", () => {
  it("is said absent at start, and offered once installed and SIGUSR2 says so", async () => {
    const bin = path.join(dir, "bin");
    mkdirSync(bin);
    const PATH = [bin, path.dirname(process.execPath), "/usr/bin", "/bin"].join(":");
    const agent = startAgent([...offlineRunArgs(path.join(dir, "state")), "--json"], { PATH });
    try {
      const events = agent.events;
      const absent = await until("engine.absent", () => events().find((e) => e.event === "engine.absent"));
      expect(absent.engines).toEqual(["claude", "codex"]);
      expect(absent.message).toContain("looked for every 300s and at once on SIGUSR2");
      await until("connecting", () => events().some((e) => e.event === "connecting")); // the signal handler is set
      writeFileSync(path.join(bin, "codex"), "#!/bin/sh\nexit 0\n");
      chmodSync(path.join(bin, "codex"), 0o755);
      process.kill(agent.pid, "SIGUSR2");
      const found = await until("engine.installed", () => events().find((e) => e.event === "engine.installed"));
      expect(found).toMatchObject({ engine: "codex" });
      expect(found.message).toContain("engine codex is installed now: offered");
      const recheck = await until("engine.recheck", () => events().find((e) => e.event === "engine.recheck"));
      expect(recheck.message).toContain("claude still not installed");
    } finally {
      await agent.stop();
    }
  });

  it("is looked for every recheck period too, then offered, chosen and declared", async () => {
    let installed = false;
    const declared: string[][] = [];
    const said: string[] = [];
    const offer = new EngineOffer({
      engines: new Map([["sample", "node s.mjs"]]),
      capabilities: ["engine:sample", "has:git"],
      out: { say: (_s, event) => void said.push(event) },
      declare: async (caps) => void declared.push(caps),
      probe: (t) => (t.startsWith("codex") && installed ? undefined : `${t}: not found`),
      recheckMs: 20,
      absent: absentDefaults(new Map([["sample", "node s.mjs"]]), {}),
    });
    try {
      expect(offer.capabilities()).toEqual(["engine:sample", "has:git"]);
      expect(said).toEqual(["engine.absent"]);
      installed = true;
      await until("codex declared", () => declared.find((c) => c.includes("engine:codex")));
      expect(declared.at(-1)).toEqual(["engine:codex", "engine:sample", "has:git"]);
      expect([...offer.offered.keys()]).toEqual(["sample", "codex"]);
      expect(offer.installed.has("codex")).toBe(true);
      expect(offer.installed.has("claude")).toBe(false);
      expect(offer.engineNames()).toContain("codex");
    } finally {
      offer.stop();
    }
  });

  it("an engine the operator names itself is not an absent default", () => {
    expect([...absentDefaults(new Map([["sample", "s"]]), { claude: "/opt/claude -p" }).keys()]).toEqual(["codex"]);
    expect([
      ...absentDefaults(
        new Map([
          ["claude", "claude -p"],
          ["sample", "s"],
        ]),
        {},
      ).keys(),
    ]).toEqual(["codex"]);
  });
});
