// `npm start` and `npm run dev` refuse a state or port they cannot use with exit 2, as the agent exits for the same
// codes (one code, one exit, whichever program says it): `state_dir_unusable` (GIGAFACTORY_LOCAL_STATE names a
// file), `state_in_use` (a live start holds the state's lock) and `port_in_use` (something listens on PORT) — like
// `bad_port`, a setting to change. Both starts exited 1 for every failure, the agent 2 for `state_in_use` and
// `state_dir_unusable`. Every code the start scripts and the agent both throw is thrown with the same exit; and a
// refused start leaves no state directory it made (an empty GIGAFACTORY_LOCAL_STATE was left behind). A lock a
// SIGKILLed start left (its exit handlers never ran) does not refuse the next start as `state_in_use`.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { thrownCodes } from "../support/thrown-codes.ts";

const ROOT = path.resolve(import.meta.dirname, "../..");
const NODE = path.join(ROOT, "node_modules", ".bin", "node");
const dir = mkdtempSync(path.join(tmpdir(), "gf-start-exits-"));
const holders: ChildProcess[] = [];
afterAll(() => {
  for (const h of holders) h.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});

/** Runs `scripts/<script>.ts` to its end (each refusal comes before anything starts). */
function start(script: "start" | "dev", state: string, port: number) {
  const run = spawnSync(NODE, [path.join(ROOT, "scripts", `${script}.ts`)], {
    cwd: ROOT,
    encoding: "utf8",
    timeout: 60_000,
    env: {
      ...process.env,
      GIGAFACTORY_ADMIN_TOKEN: "test-admin-token",
      GIGAFACTORY_LOCAL_STATE: state,
      PORT: `${port}`,
    },
  });
  return { status: run.status, stderr: run.stderr, stdout: run.stdout };
}

/** A process whose command line names scripts/dev.ts (as a live `npm run dev`'s does) holding the lock on `state`. */
async function lockHolder(state: string): Promise<void> {
  const code = `const m = await import(${JSON.stringify(path.join(ROOT, "scripts", "start-preflight.ts"))});
m.lockState(process.argv[1]); console.log("locked"); setInterval(() => {}, 1 << 30);`;
  const child = spawn(NODE, ["--input-type=module", "-e", code, state, "scripts/dev.ts"], { stdio: "pipe" });
  holders.push(child);
  let out = "";
  await new Promise<void>((resolve, reject) => {
    child.stdout.on("data", (d: Buffer) => {
      out += d;
      if (out.includes("locked")) resolve();
    });
    child.once("exit", (c) => reject(new Error(`the lock holder exited ${c}: ${out}`)));
  });
}

describe("a start refused for its state or port exits 2", () => {
  it("a refused start leaves no state directory behind that it made", async () => {
    const listening: Server = createServer();
    await new Promise<void>((r) => listening.listen(0, "127.0.0.1", r));
    const port = (listening.address() as { port: number }).port;
    try {
      for (const script of ["start", "dev"] as const) {
        const state = path.join(dir, `new-${script}`, "state");
        expect(start(script, state, port).status).toBe(2);
        expect(existsSync(path.join(dir, `new-${script}`)), script).toBe(false);
      }
    } finally {
      await new Promise((r) => listening.close(r));
    }
  });

  it("a lock left by a SIGKILLed start is stale: the next start passes it, refused only for its port", async () => {
    const state = path.join(dir, "killed");
    await lockHolder(state);
    const killed = holders.at(-1)!;
    const gone = new Promise((r) => killed.once("exit", r));
    killed.kill("SIGKILL");
    await gone;
    expect(existsSync(path.join(state, "gigafactory.pid"))).toBe(true); // nothing ran at its exit
    const listening: Server = createServer();
    await new Promise<void>((r) => listening.listen(0, "127.0.0.1", r));
    const port = (listening.address() as { port: number }).port;
    try {
      const run = start("start", state, port);
      expect(run.stderr).toMatch(/^✘ ERROR port_in_use: /m);
    } finally {
      await new Promise((r) => listening.close(r));
    }
  });

  it("every code the start scripts and the agent both throw has one exit", () => {
    const starts = thrownCodes("scripts");
    const agent = thrownCodes("src/agent", "src/shared");
    const both = [...starts.keys()].filter((c) => agent.has(c));
    expect(both).toEqual(expect.arrayContaining(["state_in_use", "state_dir_unusable"]));
    const differ = both
      .filter((c) => new Set([...starts.get(c)!, ...agent.get(c)!]).size > 1)
      .map((c) => `${c}: start ${[...starts.get(c)!]}, agent ${[...agent.get(c)!]}`);
    expect(differ).toEqual([]);
  });

  it("state_dir_unusable, state_in_use and port_in_use, from npm start and npm run dev", async () => {
    const file = path.join(dir, "a-file");
    writeFileSync(file, "not a directory");
    const held = path.join(dir, "held");
    await lockHolder(held);
    const listening: Server = createServer();
    await new Promise<void>((r) => listening.listen(0, "127.0.0.1", r));
    const port = (listening.address() as { port: number }).port;
    try {
      for (const script of ["start", "dev"] as const) {
        const cases = [
          { code: "state_dir_unusable", run: start(script, file, 2) },
          { code: "state_in_use", run: start(script, held, 2) },
          { code: "port_in_use", run: start(script, path.join(dir, `free-${script}`), port) },
        ];
        for (const { code, run } of cases) {
          expect({ script, code, status: run.status }, run.stderr).toEqual({ script, code, status: 2 });
          expect(run.stderr).toMatch(new RegExp(`^✘ ERROR ${code}: .+ / .+$`, "m"));
        }
      }
    } finally {
      await new Promise((r) => listening.close(r));
    }
  });
});
