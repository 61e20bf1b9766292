// SIGTERM (`timeout 30 gigafactory …`, a cancelled CI job, a supervisor stopping a script) is the first Ctrl-C
// wherever Ctrl-C is guarded, in-process (an Io whose onInterrupt the test signals while a stand-in coordinator on a
// real local socket holds the request): the command's note names SIGTERM, the answer is awaited and printed as
// without it, and `✘ ERROR interrupted: stopped by SIGTERM …` ends it with exit 143 (128 + 15) — under --json one
// document whose error has exitCode 143 — for `factory rotate` (its answer, its failure), `batch submit` and its
// --wait, `submit` and a job action on several files or ids. Only SIGINT was guarded: SIGTERM ended the CLI at once,
// a rotation made on the coordinator with its new token never printed.
import { writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { connection, type StubReply, stubCoordinator } from "../support/cli-harness.ts";
import { holdingCoordinator, interruptedPost, startInterruptible } from "../support/cli-interrupt.ts";
import { testTempDir } from "../support/temp-dir.ts";

const FLEET = { factories: [{ id: "f_1", name: "box-9", status: "active", capabilities: [], seats: 1 }] };
const ENROLLED = {
  factoryId: "f_1",
  token: "gf_shop_newsecret",
  factory: { name: "box-9", capabilities: [], seats: 1 },
};
const ACCEPTED = { batchId: "b-1", accepted: 3, jobs: 3, idempotencyKeys: ["x", "y", "z"], items: [], rejected: [] };

/** `n` markdown manifests; their paths in order. */
function manifests(n: number): string[] {
  const dir = testTempDir("gf-sigterm-");
  return Array.from({ length: n }, (_, i) => {
    const p = path.join(dir, `m${i}.md`);
    writeFileSync(p, `# t${i}\n`);
    return p;
  });
}

/** `factory rotate box-9` with its POST held (reads answered FLEET) and SIGTERM sent; `reply` answers the POST. */
async function rotateTerminated(...extra: string[]) {
  const held: StubReply[] = [];
  const stub = await stubCoordinator((req, reply) => {
    if (req.method === "POST") held.push(reply);
    else reply.json(200, FLEET);
  });
  const run = startInterruptible(["factory", "rotate", "box-9", ...extra, ...connection(stub.url, "shop")]);
  await run.until("the POST held", () => held.length === 1);
  run.sigterm();
  return { run, reply: held[0]! };
}

const ROTATE_NOTE =
  "SIGTERM: the rotation of factory box-9's token is on its way; waiting for its answer, which holds the new token, " +
  "shown once; another SIGTERM or Ctrl-C ends at once, and the host may be locked out: its old token refused, the " +
  "new one never shown";
const ROTATE_STOPPED = "stopped by SIGTERM while the rotation of factory box-9's token was on its way";

describe("SIGTERM while factory rotate's POST is out", () => {
  it("says so, waits for the answer, prints the new token and ends interrupted with 143", async () => {
    const { run, reply } = await rotateTerminated();
    await run.until("the note", () => run.stderr().includes(ROTATE_NOTE));
    reply.json(200, ENROLLED);
    expect(await run.code).toBe(143);
    expect(run.stdout()).toContain("--token gf_shop_newsecret");
    expect(run.stderr().split("\n")).toEqual([
      ROTATE_NOTE,
      `✘ ERROR interrupted: ${ROTATE_STOPPED}; its answer came: the old token of box-9 (f_1) is refused now; the new ` +
        "one is shown here once / run the command shown (`command` under --json) on the host now: until then it is locked out",
      "",
    ]);
    expect(run.listening()).toBe(0);
  });

  it("--json: one document, the answer with the error (exitCode 143); a failure after it says SIGTERM too", async () => {
    const json = await rotateTerminated("--json");
    json.reply.json(200, ENROLLED);
    expect(await json.run.code).toBe(143);
    const doc = JSON.parse(json.run.stdout());
    expect(doc.error).toMatchObject({ code: "interrupted", exitCode: 143 });
    expect(doc.error.message).toMatch(new RegExp(`^${ROTATE_STOPPED}; `));
    expect(doc.token).toBe("gf_shop_newsecret");
    const failed = await rotateTerminated();
    failed.reply.problem(502, { type: "x", title: "t", status: 502, detail: "gateway", code: "bad_gateway" });
    expect(await failed.run.code).toBe(143);
    expect(failed.run.stderr()).toMatch(
      new RegExp(
        `^✘ ERROR interrupted: ${ROTATE_STOPPED}, and its answer was a failure \\(\\w+\\): the token may`,
        "m",
      ),
    );
  });
});

describe("SIGTERM during batch submit", () => {
  const NOTE =
    "SIGTERM: the batch is on its way (3 items in one request); waiting for its answer, which decides whether its " +
    "jobs went in; another SIGTERM or Ctrl-C ends at once, not knowing whether they went in";

  it("while its POST is out: the answer printed, then interrupted (143); --json one document", async () => {
    const files = manifests(3);
    const argv = (extra: string[]) => (url: string) => [
      "batch",
      "submit",
      ...files,
      ...extra,
      ...connection(url, "shop"),
    ];
    const { run, reply } = await interruptedPost(argv([]), "SIGTERM");
    await run.until("the note", () => run.stderr().includes(NOTE));
    reply.json(202, ACCEPTED);
    expect(await run.code).toBe(143);
    expect(run.stdout()).toContain("✔ batch b-1: 3 items accepted");
    expect(run.stderr()).toMatch(/^✘ ERROR interrupted: stopped by SIGTERM while the batch was on its way; /m);
    const json = await interruptedPost(argv(["--json"]), "SIGTERM");
    json.reply.json(202, ACCEPTED);
    expect(await json.run.code).toBe(143);
    expect(JSON.parse(json.run.stdout())).toMatchObject({
      error: { code: "interrupted", exitCode: 143 },
      batchId: "b-1",
    });
  });

  it("during --wait: ends the wait interrupted, `when SIGTERM came` (143)", async () => {
    const stuck = { id: "b-1", createdAt: 1, total: 1, created: 0, existing: 0, queued: 1, rejected: 0, jobs: 1 };
    const stub = await stubCoordinator((req, reply) => {
      if (req.method === "POST") reply.json(202, { ...ACCEPTED, accepted: 1, jobs: 1, idempotencyKeys: ["x"] });
      else reply.json(200, { ...stuck, items: [{ index: 0, status: "queued" }], done: false });
    });
    const run = startInterruptible(["batch", "submit", ...manifests(1), "--wait", ...connection(stub.url, "shop")]);
    await run.until("the batch read back", () => stub.lines.some((l) => l.startsWith("GET")));
    run.sigterm();
    expect(await run.code).toBe(143);
    expect(run.stderr()).toMatch(/^✘ ERROR interrupted: batch b-1: 1 of 1 item still on their way when SIGTERM came/m);
  });
});

describe("SIGTERM during submit or a job action on several", () => {
  it("submit: no more files are sent; the outcome per file, then interrupted (143)", async () => {
    const { stub, held } = await holdingCoordinator();
    const files = manifests(10);
    const run = startInterruptible(["submit", ...files, ...connection(stub.url, "shop")]);
    await run.until("8 on their way", () => held.length === 8);
    run.sigterm();
    await run.until("the note", () =>
      run.stderr().includes("SIGTERM: no more files are sent; waiting for the answers"),
    );
    expect(run.stderr()).toContain("another SIGTERM or Ctrl-C ends at once, not knowing whether those went in");
    for (const [i, h] of held.entries()) h.reply.json(201, { id: `job_${i}`, title: `t${i}`, stage: "queued" });
    expect(await run.code).toBe(143);
    expect(run.stderr()).toMatch(/^✘ ERROR interrupted: stopped by SIGTERM after 8 of 10 files were sent \/ /m);
  });

  it("ship of several ids --json: no further job tried; one document {error (143), tried, notTried}", async () => {
    const { stub, held } = await holdingCoordinator();
    const ids = Array.from({ length: 10 }, (_, i) => `job_${i}`);
    const run = startInterruptible(["ship", ...ids, "--json", ...connection(stub.url, "acme")]);
    await run.until("8 on their way", () => held.length === 8);
    run.sigterm();
    await run.until("the note", () => run.stderr().includes("SIGTERM: no more jobs are tried; waiting for"));
    for (const h of held) h.reply.json(200, { id: /\/jobs\/([^/]+)\//.exec(h.req.url)![1], stage: "shipped" });
    expect(await run.code).toBe(143);
    const doc = JSON.parse(run.stdout());
    expect(doc.error).toMatchObject({ code: "interrupted", exitCode: 143 });
    expect(doc.error.message).toBe("stopped by SIGTERM after 8 of 10 jobs were tried");
    expect(doc.notTried).toEqual(["job_8", "job_9"]);
  });
});
