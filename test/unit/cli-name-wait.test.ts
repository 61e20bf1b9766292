// `gigafactory watch ID` does not hold a line on the fleet read that names its factories (cli/watch-names): against a
// coordinator whose fleet list never answers (an outage that takes connections), with `--timeout 0` (no limit), the
// lease lines print with the factory's id after NAME_WAIT_MS and the watch ends — it waited for the read at the first
// such line, for ever (the real CLI process too). A read that answers after its line printed names the lines after
// it, and one read is in flight at a time. A one-shot command's line waits as long at most (cli/factory-names
// factoryNames): `routing apply`'s ✔ line, after its write, waited the whole --timeout for the fleet's names; and
// `jobs` / `job` of a held job, whose holder's name and link the fleet list gives (cli/holder-link fleetRead).
// The wait itself (3 s) is cut to 20 ms by its test override, GIGAFACTORY_NAME_WAIT_MS, whose reading is proven last.
import { spawn } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it, onTestFinished, vi } from "vitest";
import { NAME_WAIT_MS, nameWaitMs } from "../../src/cli/factory-names.ts";
import { WatchNames } from "../../src/cli/watch-names.ts";
import { GigafactoryClient } from "../../src/shared/http-client.ts";
import { captureCli, connection, stubCoordinator } from "../support/cli-harness.ts";
import { jobFixture } from "../support/fixtures.ts";
import { testTempDir } from "../support/temp-dir.ts";

const BIN = fileURLToPath(new URL("../../bin/gigafactory.mjs", import.meta.url));
/** The commands' name wait (3 s, NAME_WAIT_MS) cut by its test override: each command here sits out one or two. */
const SHORT_WAIT = { GIGAFACTORY_NAME_WAIT_MS: "20" };
const AT = Date.UTC(2026, 11, 6, 18, 0, 0);
const EVENTS = [
  { seq: 1, type: "lease.granted", at: AT, data: { factoryId: "fac_g", leaseEpoch: 1, expiresAt: AT + 60_000 } },
  { seq: 2, type: "job.stage", at: AT, data: { from: "building", to: "shipped", leaseEpoch: 1 } },
];
const FLEET = { factories: [{ id: "fac_g", name: "demo-gpu" }] };
const RULE = { id: "rr_1", effect: "avoid", factoryId: "fac_g", reason: "fails", createdAt: AT, createdBy: "op" };
const REC = {
  ...{ id: "rec_0a1b2c3d", kind: "failure_rate", factoryId: "fac_g", engine: "codex", jobClass: "c", message: "m" },
  ...{ evidence: {}, rule: { factoryId: "fac_g", effect: "avoid", reason: "fails" }, appliedAs: null },
};

/** A job held by fac_g: `jobs` and `job` name its holder from the fleet list. */
const HELD = jobFixture(AT, {
  ...{ id: "job_h", title: "Held", stage: "building" },
  ...{ holderFactoryId: "fac_g", leaseEpoch: 1, leaseExpiresAt: AT + 60_000 },
});

/** A coordinator with a shipped job whose fleet list is answered only by `release()` (never, unless called). */
async function coordinator() {
  const held: Array<() => void> = [];
  const stub = await stubCoordinator((req, reply) => {
    const url = new URL(req.url, "http://x");
    if (url.pathname.endsWith("/factories")) return void held.push(() => reply.json(200, FLEET));
    if (url.pathname.endsWith("/routing/recommendations")) return reply.json(200, { recommendations: [REC] });
    if (url.pathname.endsWith("/routing/rules")) return reply.json(201, RULE);
    const events = EVENTS.filter((e) => e.seq > Number(url.searchParams.get("after") ?? 0));
    if (url.pathname.endsWith("/events/stream"))
      return reply.text(
        200,
        events.map((e) => `id: ${e.seq}\nevent: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`).join(""),
        "text/event-stream",
      );
    if (url.pathname.endsWith("/events")) return reply.json(200, { events, lastSeq: 2 });
    if (url.pathname.endsWith("/jobs")) return reply.json(200, { jobs: [HELD] });
    if (url.pathname.endsWith("/runs")) return reply.json(200, { runs: [] });
    if (url.pathname.endsWith("/jobs/job_h")) return reply.json(200, HELD);
    return reply.json(200, { id: "job_1", title: "T", stage: "shipped", waitingReason: null });
  });
  const release = () => {
    for (const answer of held.splice(0)) answer();
  };
  return { ...stub, release };
}

describe("watch does not hold a line on the fleet read that names factories", () => {
  it("a fleet list that never answers: the lease line prints with the id, and the watch ends", async () => {
    const stub = await coordinator();
    const run = await captureCli(["watch", "job_1", "--timeout", "0", ...connection(stub.url, "p")], {
      env: SHORT_WAIT,
    });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/lease\.granted {2}lease to fac_g · epoch 1/);
    expect(stub.lines.filter((l) => l.includes("/factories"))).toHaveLength(1);
  });

  it("the real CLI process ends too", async () => {
    const stub = await coordinator();
    const dir = testTempDir("gf-watch-name-wait-");
    const child = spawn(process.execPath, [BIN, "watch", "job_1", "--timeout", "0", ...connection(stub.url, "p")], {
      env: { ...process.env, HOME: dir, GIGAFACTORY_CONFIG: join(dir, "none.json"), ...SHORT_WAIT },
      stdio: ["ignore", "pipe", "pipe"],
    });
    onTestFinished(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    });
    let stdout = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.resume();
    const code = await new Promise<number | null>((r) => child.once("exit", (c) => r(c)));
    expect(code).toBe(0);
    expect(stdout).toContain("lease to fac_g");
  });

  it("a read that answers after its line printed names the lines after it; one read in flight at a time", async () => {
    const stub = await coordinator();
    const client = new GigafactoryClient({ url: stub.url, token: "t", product: "p" });
    const names = new WatchNames(client, 0); // no wait: the line prints with what is known
    onTestFinished(() => names.stop());
    await names.learn(["fac_g"]);
    expect(names.named("fac_g")).toBe("fac_g");
    await names.learn(["fac_g", "fac_h"]); // a read is in flight: none more
    await vi.waitFor(() => expect(stub.lines.filter((l) => l.includes("/factories"))).toHaveLength(1));
    stub.release();
    await vi.waitFor(() => expect(names.named("fac_g")).toBe("demo-gpu"));
    expect(names.named("fac_h")).toBe("fac_h");
  });

  it("routing apply's ✔ line, after its write, waits as long at most, then names the factory by its id", async () => {
    const stub = await coordinator();
    const argv = ["routing", "apply", "rec_0a1b2c3d", "--timeout", "0", ...connection(stub.url, "p")];
    const run = await captureCli(argv, { env: SHORT_WAIT });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^✔ applied rec_0a1b2c3d as rule rr_1: avoid fac_g — undo with/);
  });

  it("jobs and job of a held job wait as long at most for the holder's name and link, then show its id", async () => {
    const stub = await coordinator();
    const list = await captureCli(["jobs", "--timeout", "0", ...connection(stub.url, "p")], {
      now: AT,
      env: SHORT_WAIT,
    });
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toMatch(/job_h .*fac_g/);
    const one = await captureCli(["job", "job_h", "--timeout", "0", ...connection(stub.url, "p")], {
      ...{ now: AT, env: SHORT_WAIT },
    });
    expect(one.code, one.stderr).toBe(0);
    expect(one.stdout).toContain("fac_g");
    expect(stub.lines.filter((l) => l.includes("/factories"))).toHaveLength(2);
  });
});

describe("the name wait's test override (GIGAFACTORY_NAME_WAIT_MS)", () => {
  it("is a whole number of ms from 1 up; anything else leaves NAME_WAIT_MS", () => {
    expect(nameWaitMs({ GIGAFACTORY_NAME_WAIT_MS: "20" })).toBe(20);
    for (const raw of [undefined, "", "0", "-5", "1.5", "20ms", " 20", "1e3", "9999999999"])
      expect(nameWaitMs({ GIGAFACTORY_NAME_WAIT_MS: raw }), String(raw)).toBe(NAME_WAIT_MS);
  });
  it("only shortens: a value above NAME_WAIT_MS (a stray setting) leaves the real bound", () => {
    expect(nameWaitMs({ GIGAFACTORY_NAME_WAIT_MS: String(NAME_WAIT_MS + 1) })).toBe(NAME_WAIT_MS);
    expect(nameWaitMs({ GIGAFACTORY_NAME_WAIT_MS: "999999999" })).toBe(NAME_WAIT_MS);
  });
});
