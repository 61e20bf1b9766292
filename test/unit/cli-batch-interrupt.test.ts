// Ctrl-C (SIGINT) while `gigafactory batch submit`'s one `POST …/jobs:batch` is out, in-process (an Io whose
// onInterrupt the test triggers while a stand-in coordinator on a real local socket holds the POST) and as the real
// process: the first Ctrl-C says the batch is on its way and that its answer decides whether the jobs went in, and
// waits for it; an answer prints what was accepted as without Ctrl-C (the `✔ batch` line, the refused items' lines),
// starts no --wait, and ends `✘ ERROR interrupted` (exit 130) saying to follow it with `gigafactory batch ID` — under
// --json one document, the API's answer with `error`. A POST that fails after the Ctrl-C says whether the batch may
// have gone in and how to send it again safely (the same --key; without one, look with `gigafactory jobs` first),
// under --json `{error, failure}`. It ended at once, saying nothing, so the user could not tell whether the batch went
// in. A second Ctrl-C ends at once.
import { writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { connection } from "../support/cli-harness.ts";
import { holdingCoordinator, interruptedPost } from "../support/cli-interrupt.ts";
import { startCli, untilCli } from "../support/cli-process.ts";
import { testTempDir } from "../support/temp-dir.ts";

/** Three markdown manifests; their paths in order. */
function manifests(): string[] {
  const dir = testTempDir("gf-batch-int-");
  return ["a.md", "b.md", "c.md"].map((name) => {
    const p = path.join(dir, name);
    writeFileSync(p, `# ${name}\n`);
    return p;
  });
}

/** Items 0 and 2 accepted, item 1 refused. */
const ANSWER = {
  batchId: "b-1",
  accepted: 2,
  jobs: 2,
  idempotencyKeys: ["k0", "k1", "k2"],
  items: [
    { index: 0, idempotencyKey: "k0", status: "queued" },
    { index: 2, idempotencyKey: "k2", status: "queued" },
  ],
  rejected: [{ index: 1, status: 400, code: "invalid_manifest", detail: "line 1: no title" }],
};

/** Starts `batch submit` of `files`, waits for its POST to be held, and presses Ctrl-C. */
async function interrupted(files: string[], extra: string[] = []) {
  return interruptedPost((url) => ["batch", "submit", ...files, ...extra, ...connection(url, "shop")]);
}

const NOTE =
  "Ctrl-C: the batch is on its way (3 items in one request); waiting for its answer, which decides whether its " +
  "jobs went in; Ctrl-C again ends at once, not knowing whether they went in";

describe("Ctrl-C while batch submit's POST is out", () => {
  it("says it waits for the answer, then prints what was accepted as without Ctrl-C and ends interrupted (130)", async () => {
    const files = manifests();
    const { run, reply } = await interrupted(files);
    await run.until("the note", () => run.stderr().includes(NOTE));
    reply.json(202, ANSWER);
    expect(await run.code).toBe(130);
    expect(run.stdout()).toBe("✔ batch b-1: 2 of 3 items accepted, 1 refused\nfollow it: gigafactory batch b-1\n");
    const lines = run.stderr().split("\n");
    expect(lines[0]).toBe(NOTE);
    expect(lines[1]).toMatch(new RegExp(`^✘ ERROR invalid_manifest: ${files[1]} \\(item 1\\): line 1: no title / `));
    expect(lines[2]).toBe(
      "✘ ERROR interrupted: stopped by Ctrl-C while the batch was on its way; its answer came: 2 of 3 items " +
        "accepted, 1 refused / the accepted items are queued: follow them with `gigafactory batch b-1`; for the refused: fix the file and send the batch again (the same files, in any order, " +
        "and the same --key if one was given): items already accepted keep their key and make no job twice",
    );
    expect(lines.slice(3)).toEqual([""]);
    expect(run.listening()).toBe(0);
  });

  it("under --json prints one document: the API's answer with the interrupted error", async () => {
    const { run, reply } = await interrupted(manifests(), ["--json"]);
    reply.json(202, { ...ANSWER, accepted: 3, jobs: 3, rejected: [] });
    expect(await run.code).toBe(130);
    const doc = JSON.parse(run.stdout());
    expect(doc.error).toMatchObject({ code: "interrupted", exitCode: 130 });
    expect(doc.error.fix).toBe("the accepted items are queued: follow them with `gigafactory batch b-1`");
    expect(doc).toMatchObject({ batchId: "b-1", accepted: 3, rejected: [] });
    expect(run.stderr()).toContain(NOTE); // said on stderr under --json too: stdout holds only the document
    expect(run.stderr()).toMatch(/^✘ ERROR interrupted: .*3 of 3 items accepted \/ /m);
  });

  it("starts no --wait after it: the batch is not read back, and the error says --wait was not started", async () => {
    const { run, reply, stub } = await interrupted(manifests(), ["--wait", "--json"]);
    reply.json(202, ANSWER);
    expect(await run.code).toBe(130);
    expect(stub.lines.filter((l) => l.startsWith("GET"))).toEqual([]);
    const doc = JSON.parse(run.stdout());
    expect(doc.batch).toBeUndefined();
    expect(doc.error.message).toBe(
      "stopped by Ctrl-C while the batch was on its way; its answer came: 2 of 3 items accepted, 1 refused " +
        "(--wait not started)",
    );
    expect(run.listening()).toBe(0);
  });

  it("a POST that fails after it: may or may not have gone in; the same --key makes a resend safe (130)", async () => {
    const { run, reply } = await interrupted(manifests(), ["--key", "nightly-7"]);
    reply.problem(503, { type: "x", title: "t", status: 503, detail: "nothing queued", code: "unavailable" });
    expect(await run.code).toBe(130);
    expect(run.stdout()).toBe("");
    const lines = run.stderr().split("\n");
    expect(lines[0]).toBe(NOTE);
    expect(lines[1]).toMatch(/^✘ ERROR unavailable: nothing queued \/ /); // the failure itself, as without Ctrl-C
    expect(lines[2]).toBe(
      "✘ ERROR interrupted: stopped by Ctrl-C while the batch was on its way, and its answer was a failure " +
        "(unavailable): the batch may or may not have gone in / send the same files again with the same --key " +
        "nightly-7: items already accepted make no job twice",
    );
  });

  it("an answer that is no batch's, under --json: {error, failure}, and without --key look with `gigafactory jobs` first", async () => {
    const { run, reply } = await interrupted(manifests(), ["--json"]);
    reply.json(202, { ok: true });
    expect(await run.code).toBe(130);
    const doc = JSON.parse(run.stdout());
    expect(Object.keys(doc)).toEqual(["error", "failure"]);
    expect(doc.error).toMatchObject({ code: "interrupted", exitCode: 130 });
    expect(doc.error.fix).toBe(
      "look for its jobs with `gigafactory jobs` before sending it again (under the same --key, its items make no " +
        "job twice)",
    );
    expect(doc.failure).toMatchObject({ code: "bad_response", exitCode: 1 });
  });

  it("a whole-batch refusal from the coordinator after it: refused, none of it went in (130)", async () => {
    const { run, reply } = await interrupted(manifests());
    reply.problem(403, { type: "x", title: "t", status: 403, detail: "operator role required", code: "forbidden" });
    expect(await run.code).toBe(130);
    expect(run.stderr()).toMatch(/^✘ ERROR forbidden: operator role required \/ /m);
    expect(run.stderr()).toMatch(
      /^✘ ERROR interrupted: stopped by Ctrl-C while the batch was on its way, and the coordinator refused it \(forbidden\): none of it went in \/ fix what its `✘ ERROR forbidden` says, then send the batch again$/m,
    );
  });
});

describe("Ctrl-C while batch submit's POST is out, the real process (SIGINT)", () => {
  it("the first waits for the answer and ends interrupted; a second ends at once, saying nothing more", async () => {
    const { stub, held } = await holdingCoordinator();
    const files = manifests();
    const run = startCli(["batch", "submit", ...files, ...connection(stub.url, "shop")]);
    await untilCli(run, "the POST held", () => held.length === 1);
    run.child.kill("SIGINT");
    await untilCli(run, "the note", () => run.stderr().includes(NOTE));
    held[0]!.reply.json(202, ANSWER);
    const r = await run.exited;
    expect(r.code).toBe(130);
    expect(r.stdout).toContain("✔ batch b-1: 2 of 3 items accepted, 1 refused");
    expect(r.stderr).toMatch(/^✘ ERROR interrupted: stopped by Ctrl-C while the batch was on its way; /m);

    const again = await holdingCoordinator();
    const second = startCli(["batch", "submit", ...files, ...connection(again.stub.url, "shop")]);
    await untilCli(second, "the POST held", () => again.held.length === 1);
    second.child.kill("SIGINT");
    await untilCli(second, "the note", () => second.stderr().includes(NOTE));
    second.child.kill("SIGINT");
    const s = await second.exited; // never answered: it ends without the answer
    expect(s.code).toBe(130);
    expect(s.stderr).not.toContain("✘ ERROR");
  });
});
