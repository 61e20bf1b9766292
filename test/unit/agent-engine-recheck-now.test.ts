// An engine withdrawn as unable to start (agent/engine-offer) waited for its timer — 5 min, doubling per withdrawal to
// an hour — before it was offered again, and the only other way back was a restart (a drain of every running job):
// an operator who fixed it had no way to say so. SIGUSR2 to the agent now looks at every withdrawn engine at once
// (`recheckNow`): each that looks startable is offered again and declared, each still broken is said with why and
// stays out, and with none withdrawn that is said too. The agent's --help names the signals it takes.
import { describe, expect, it } from "vitest";
import { USAGE } from "../../src/agent/cli-args.ts";
import { EngineOffer } from "../../src/agent/engine-offer.ts";
import { until } from "./agent-fakes.ts";

describe("looking at withdrawn engines now (SIGUSR2)", () => {
  it("offers a fixed engine again at once, says one still broken, and says when none is withdrawn", async () => {
    const said: Array<{ event: string; text: string }> = [];
    const declared: string[][] = [];
    const broken = new Map<string, string | undefined>([
      ["a-cli", "a-cli: not executable by this user"],
      ["b-cli", "b-cli: not found on the engine's PATH"],
    ]);
    const offer = new EngineOffer({
      engines: new Map([
        ["a", "a-cli"],
        ["b", "b-cli"],
        ["sample", "node sample.mjs"],
      ]),
      capabilities: ["engine:a", "engine:b", "engine:sample"],
      out: { say: (_icon, event, text) => said.push({ event, text }) },
      declare: async (c) => {
        declared.push(c);
      },
      probe: (template) => broken.get(template),
      recheckMs: 3_600_000, // its own timer an hour away: only the signal can bring it back within this test
    });
    try {
      expect(offer.recheckNow()).toBe(0);
      expect(said.at(-1)?.event).toBe("engine.recheck");
      offer.withdraw("a", "a-cli: permission denied");
      offer.withdraw("b", "b-cli: not found");
      expect(said.find((s) => s.event === "engine.withdrawn")?.text).toContain("at once on SIGUSR2");
      broken.set("a-cli", undefined); // the operator fixed a, not b
      expect(offer.recheckNow()).toBe(2);
      expect(offer.whyWithdrawn("a")).toBeUndefined();
      expect(offer.whyWithdrawn("b")).toBeDefined();
      expect([...offer.offered.keys()]).toEqual(["a", "sample"]); // a back in its place
      expect(said.filter((s) => s.event === "engine.restored").map((s) => s.text)).toEqual([
        "engine a looks startable again: offered again",
      ]);
      expect(said.find((s) => s.event === "engine.still_broken")?.text).toBe(
        "engine b still cannot start (b-cli: not found on the engine's PATH)",
      );
      await until("the restoration declared", () => declared.at(-1)?.includes("engine:a"));
      expect(declared.at(-1)).toEqual(["engine:a", "engine:sample"]);
    } finally {
      offer.stop();
    }
  });

  it("the agent's --help says what each signal does", () => {
    expect(USAGE).toMatch(/SIGTERM, SIGINT, SIGHUP\s+drain/);
    expect(USAGE).toMatch(/SIGUSR2\s+look now at engines withdrawn/);
  });
});
