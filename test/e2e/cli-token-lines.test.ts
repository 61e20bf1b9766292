// The line `gigafactory factory rotate` and `gigafactory enroll --direct` print for the host, run as printed by the real
// agent, keeps the token across a restart: rotate (or enroll) → the printed line(s) → stop → a plain `run` connects.
// They printed `run --url … --token T`, which connected but stored nothing: the next plain `run` (a reboot, systemd's
// restart) read the rotated-out token and stopped `✘ ERROR unauthorized`, exit 3 — every rotation an outage later.
import { spawn } from "node:child_process";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { reachableSampleArgs } from "../../scripts/engine-user-reach.ts";
import { ROOT, toolEnv } from "../../scripts/local-server.ts";
import { AgentFleet, AgentProc, poll } from "./agent-procs.ts";
import { ADMIN, createProduct, type Harness, startHarness } from "./harness.ts";

const PRODUCT = "token-lines";
const AGENT_WORDS = ["node_modules/.bin/node", "bin/gigafactory-agent.mjs"];

/** `gigafactory ARGS` as the admin, for this product; its stdout, after a 0 exit. */
function cli(url: string, ...args: string[]): Promise<string> {
  const flags = ["--url", url, "--token", ADMIN, "--product", PRODUCT];
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("GIGAFACTORY_")));
  const child = spawn(
    path.join(ROOT, "node_modules", ".bin", "node"),
    [path.join(ROOT, "bin", "gigafactory.mjs"), ...args, ...flags],
    {
      cwd: ROOT,
      env: toolEnv(env as Record<string, string>),
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let out = "";
  let err = "";
  child.stdout.on("data", (d) => {
    out += d;
  });
  child.stderr.on("data", (d) => {
    err += d;
  });
  return new Promise((resolve, reject) =>
    child.on("close", (code) =>
      code === 0 ? resolve(out) : reject(new Error(`gigafactory ${args.join(" ")}: ${code}\n${err}`)),
    ),
  );
}

/** The printed host line's `&&`-joined agent commands, each as its arguments after the agent's two words. */
function printedSteps(stdout: string): string[][] {
  const line = stdout.split("\n").find((l) => l.includes("gigafactory-agent.mjs"));
  if (!line) throw new Error(`no agent command printed:\n${stdout}`);
  return line
    .trim()
    .split(" && ")
    .map((part) => {
      const words = part.split(" ");
      expect(words.slice(0, 2)).toEqual(AGENT_WORDS);
      return words.slice(2);
    });
}

describe("a factory token printed for the host survives the agent's restart", () => {
  let h: Harness;
  let fleet: AgentFleet;
  beforeAll(async () => {
    h = await startHarness();
    await createProduct(h.url, PRODUCT);
    fleet = new AgentFleet(h.url);
  });
  afterAll(async () => {
    await fleet?.stopAll();
    await h?.close();
  });

  /** Each printed step as the README says for another state dir (`--state-dir` on each); `run` until it connects. */
  async function runPrinted(steps: string[][], stateDir: string): Promise<void> {
    for (const step of steps) {
      const local = ["--state-dir", stateDir, "--json"];
      if (step[0] === "run") local.push("--work-dir", `${stateDir}-work`, ...reachableSampleArgs(ROOT));
      const agent = new AgentProc([...step, ...local], {});
      fleet.agents.push(agent);
      if (step[0] !== "run") {
        expect(await agent.exited, agent.output()).toBe(0);
        continue;
      }
      await agent.waitFor("connected");
      agent.proc.kill("SIGTERM");
      expect(await agent.exited, agent.output()).toBe(0);
    }
  }

  /** A plain `run` of that state dir (a restart): connected, or its exit when it stopped instead. */
  async function restarted(stateDir: string): Promise<string> {
    const agent = fleet.run(stateDir);
    let exit: number | null | undefined;
    void agent.exited.then((code) => {
      exit = code;
    });
    const seen = await poll("the restarted agent connected or stopped", 60_000, () =>
      agent.events().some((e) => e.event === "connected")
        ? "connected"
        : exit !== undefined
          ? `exit ${exit}`
          : undefined,
    );
    return seen === "connected" ? seen : `${seen}\n${agent.output()}`;
  }

  it("factory rotate: the printed lines store the new token, and a plain run connects with it after a stop", async () => {
    const { stateDir } = await fleet.enroll(PRODUCT, "host-b", [], 1);
    const before = fleet.run(stateDir);
    await before.waitFor("connected");
    const steps = printedSteps(await cli(h.url, "factory", "rotate", "host-b"));
    expect(await before.exited).toBe(3); // the old token is refused at once: its agent stops
    await runPrinted(steps, stateDir);
    expect(await restarted(stateDir)).toBe("connected");
  });

  it("enroll --direct: the printed lines store the token on a fresh host, and a plain run connects with it", async () => {
    const stateDir = path.join(fleet.dir, "direct-host");
    const steps = printedSteps(await cli(h.url, "enroll", "host-d", "--seats", "2", "--direct"));
    await runPrinted(steps, stateDir);
    expect(await restarted(stateDir)).toBe("connected");
  });
});
