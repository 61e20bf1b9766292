// `npm start` after an earlier one was stopped inside a demo factory's enrollment — the coordinator had accepted the
// code, the agent had not yet saved its config — runs, with exactly one factory per demo name: the earlier
// enrollment's factory, which no agent holds a token for, is deregistered before the name is enrolled again. Before,
// the coordinator refused the name (`conflict`: a factory named demo-docker is already enrolled) and that start, and
// every later one, stopped with `demo_failed` until the orphan was deregistered by hand. A further start on the same
// state keeps the factories the agents' configs name (the same ids): only a factory no config names goes.
// The crash window is made deterministically, not by timing a signal: the coordinator alone (`npm run dev`) on the
// demo's state takes an enrollment code for `demo-docker` through the API, and no config is written.
import { spawn } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT, toolEnv } from "../../scripts/local-server.ts";
import { call, freePort, rawCall } from "./harness.ts";
import { cleanedUpAfterAll } from "./spawn-cleanup.ts";

const { started, dirs } = cleanedUpAfterAll();

/** `npm run <script>` on `state`, as demo.test runs it; its output so far, and its exit. */
async function npm(script: string, state: string, token: string) {
  const port = await freePort();
  const child = spawn("npm", ["run", "--silent", script], {
    cwd: ROOT,
    // 1 s sample jobs (the demo's 4 by default): each stop drains its agents' jobs sooner; nothing here times one.
    env: toolEnv({
      PORT: String(port),
      GIGAFACTORY_ADMIN_TOKEN: token,
      GIGAFACTORY_LOCAL_STATE: state,
      GF_SAMPLE_SECONDS: "1",
    }),
    stdio: ["ignore", "pipe", "pipe"],
  });
  started.push(child);
  let log = "";
  for (const s of [child.stdout, child.stderr])
    s?.on("data", (d) => {
      log += d;
    });
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  return { url: `http://127.0.0.1:${port}`, child, exited, log: () => log };
}

/** Waits for a state (a line in the log), never for a time; the deadline only ends a hang. */
async function until(what: string, ok: () => boolean, log: () => string, ms = 150_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${log()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe("npm start after a stop inside a demo enrollment", () => {
  it("deregisters the factory the enrollment left with no saved config: one factory per demo name", async () => {
    const state = mkdtempSync(path.join(tmpdir(), "gf-enroll-crash-"));
    dirs.push(state);
    chmodSync(state, 0o755); // under root the agents' engines run as another user, whose work dirs are in here
    const token = `crash-admin-${process.pid}`;

    // The crash window: the coordinator has taken a code for demo-docker; the agent saved nothing.
    const dev = await npm("dev", state, token);
    await until("the coordinator", () => dev.log().includes("Gigafactory coordinator on"), dev.log);
    expect((await rawCall(dev.url, "POST", "/api/v1/products", token, { id: "demo" })).status).toBe(201);
    const minted = await call<{ code: string }>(
      dev.url,
      "POST",
      "/api/v1/products/demo/factories/enrollment-codes",
      token,
      {},
    );
    const body = { name: "demo-docker", seats: 2, capabilities: ["has:docker"] };
    const enrolled = await rawCall<{ factoryId: string }>(
      dev.url,
      "POST",
      "/api/v1/products/demo/factories/enroll",
      minted.body.code,
      body,
    );
    expect(enrolled.status, JSON.stringify(enrolled.body)).toBe(201);
    const stale = enrolled.body.factoryId;
    dev.child.kill("SIGTERM");
    expect(await dev.exited, dev.log()).toBe(0);

    // The start after the crash, then one more on the same state: each runs, and the fleet stays one per name.
    let ids: string[] = [];
    for (const run of ["after the crash", "again"]) {
      const demo = await npm("start", state, token);
      const connected = (name: string) => demo.log().includes(`[${name}] ✔ connected as ${name}`);
      // Both agents up, or the demo gave up (its exit): either way the fleet below says which.
      const up = () => connected("demo-docker") && connected("demo-gpu");
      await until(
        `both demo agents, or the demo's exit (${run})`,
        () => up() || demo.child.exitCode !== null,
        demo.log,
      );
      expect(demo.log()).not.toContain("✘ ERROR");
      expect(up(), demo.log()).toBe(true);
      const fleet = await call<{ factories: Array<{ id: string; name: string }> }>(
        demo.url,
        "GET",
        "/api/v1/products/demo/factories",
        token,
      );
      const byName = fleet.body.factories.map((f) => `${f.name} ${f.id}`).sort();
      expect(
        byName.map((f) => f.split(" ")[0]),
        demo.log(),
      ).toEqual(["demo-docker", "demo-gpu"]);
      // The one left is the one the agent's saved config names; the orphan is gone, not merely offline.
      const config = JSON.parse(readFileSync(path.join(state, "demo", "demo-docker", "config.json"), "utf8"));
      expect(fleet.body.factories.find((f) => f.name === "demo-docker")?.id).toBe(config.factoryId);
      expect(config.factoryId).not.toBe(stale);
      // A start whose agents have their configs keeps their factories: the same ids as the start before.
      if (ids.length > 0) expect(byName).toEqual(ids);
      ids = byName;
      demo.child.kill("SIGTERM");
      expect(await demo.exited, demo.log()).toBe(0);
    }
  });
});
