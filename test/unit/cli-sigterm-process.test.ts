// SIGTERM to the real `gigafactory` process (bin/gigafactory.mjs), as `timeout`, a cancelled CI job or a supervisor
// sends it, against a stand-in coordinator on a real local socket that holds the request: `factory rotate` waits for
// its answer, prints the new token and exits 143 (128 + 15, what a shell reports for SIGTERM); `batch submit` prints
// its answer and exits 143; a second signal of either kind ends at once, saying nothing more (exit 128 + its
// number); a command with no guard (`jobs`) still ends at once on SIGTERM. The CLI guarded SIGINT only: SIGTERM ended
// it at once, a rotation made on the coordinator (the host's old token refused) with the new token never printed.
import { writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { connection, type StubReply, stubCoordinator } from "../support/cli-harness.ts";
import { holdingCoordinator } from "../support/cli-interrupt.ts";
import { startCli, untilCli } from "../support/cli-process.ts";
import { testTempDir } from "../support/temp-dir.ts";

const FLEET = { factories: [{ id: "f_1", name: "box-9", status: "active", capabilities: [], seats: 1 }] };
const ENROLLED = {
  factoryId: "f_1",
  token: "gf_shop_newsecret",
  factory: { name: "box-9", capabilities: [], seats: 1 },
};
const ACCEPTED = { batchId: "b-1", accepted: 2, jobs: 2, idempotencyKeys: ["x", "y"], items: [], rejected: [] };
const BATCH_NOTE = "SIGTERM: the batch is on its way (2 items in one request)";

/** Two markdown manifests; their paths. */
function manifests(): string[] {
  const dir = testTempDir("gf-sigterm-proc-");
  return ["a.md", "b.md"].map((name) => {
    const p = path.join(dir, name);
    writeFileSync(p, `# ${name}\n`);
    return p;
  });
}

describe("SIGTERM to the real process", () => {
  it("factory rotate: the first waits for the answer, prints the new token and exits 143", async () => {
    const held: StubReply[] = [];
    const stub = await stubCoordinator((req, reply) => {
      if (req.method === "POST") held.push(reply);
      else reply.json(200, FLEET);
    });
    const run = startCli(["factory", "rotate", "box-9", ...connection(stub.url, "shop")]);
    await untilCli(run, "the POST held", () => held.length === 1);
    run.child.kill("SIGTERM");
    await untilCli(run, "the note", () => run.stderr().includes("SIGTERM: the rotation of factory box-9's token"));
    held[0]!.json(200, ENROLLED);
    const r = await run.exited;
    expect(r.code).toBe(143);
    expect(r.stdout).toContain("--token gf_shop_newsecret");
    expect(r.stderr).toMatch(/^✘ ERROR interrupted: stopped by SIGTERM while the rotation of factory box-9's token /m);
  });

  it("batch submit: the first waits for the answer and exits 143; a second signal of either kind ends at once", async () => {
    const files = manifests();
    const { stub, held } = await holdingCoordinator();
    const run = startCli(["batch", "submit", ...files, ...connection(stub.url, "shop")]);
    await untilCli(run, "the POST held", () => held.length === 1);
    run.child.kill("SIGTERM");
    await untilCli(run, "the note", () => run.stderr().includes(BATCH_NOTE));
    held[0]!.reply.json(202, ACCEPTED);
    const r = await run.exited;
    expect(r.code).toBe(143);
    expect(r.stdout).toContain("✔ batch b-1: 2 items accepted");
    expect(r.stderr).toMatch(/^✘ ERROR interrupted: stopped by SIGTERM while the batch was on its way; /m);

    for (const [first, second, code] of [
      ["SIGTERM", "SIGTERM", 143],
      ["SIGTERM", "SIGINT", 130],
      ["SIGINT", "SIGTERM", 143],
    ] as const) {
      const again = await holdingCoordinator();
      const twice = startCli(["batch", "submit", ...files, ...connection(again.stub.url, "shop")]);
      await untilCli(twice, "the POST held", () => again.held.length === 1);
      twice.child.kill(first);
      await untilCli(twice, "the note", () => twice.stderr().includes(": the batch is on its way"));
      twice.child.kill(second);
      const s = await twice.exited; // never answered: it ends without the answer
      expect([first, second, s.code]).toEqual([first, second, code]);
      expect(s.stderr).not.toContain("✘ ERROR");
    }
  });

  it("a command with no guard (`jobs`, its read held) still ends at once on SIGTERM", async () => {
    const held: StubReply[] = [];
    const stub = await stubCoordinator((_req, reply) => void held.push(reply));
    const run = startCli(["jobs", ...connection(stub.url, "shop")]);
    await untilCli(run, "the read held", () => held.length === 1);
    run.child.kill("SIGTERM");
    const r = await run.exited;
    expect(run.child.signalCode).toBe("SIGTERM");
    expect(r.code).toBeNull();
    expect(r.stderr).toBe("");
    held[0]!.json(200, { jobs: [] }); // the stand-in's socket, answered so it closes
  });
});
