// Ctrl-C (SIGINT) while `gigafactory children ID FILE.json`'s one `POST …/jobs/{id}/children` is out, in-process (an
// Io whose onInterrupt the test presses while a stand-in coordinator on a real local socket holds the POST) and as
// the real process: the first Ctrl-C says the children are on their way and that the answer decides whether they
// were added, and waits for it; an answer prints the rows and count line as without Ctrl-C, then `✘ ERROR interrupted`
// (exit 130) naming `gigafactory tree ID` — under --json the API's `{parent, children}` with `error`. A request that
// fails after it says whether the children may have been added and that the same command again (the same file, or
// the same --key) makes none twice — `{error, failure}` under --json; a coordinator's refusal says none was added.
// It ended at once, saying nothing, so the user could not tell whether the paid child runs went in.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { connection } from "../support/cli-harness.ts";
import { holdingCoordinator, interruptedPost } from "../support/cli-interrupt.ts";
import { startCli, untilCli } from "../support/cli-process.ts";
import { testTempDir } from "../support/temp-dir.ts";

/** A children file of two (the second depends on the first); its path. */
function childrenFile(): string {
  const path = join(testTempDir("gf-children-int-"), "children.json");
  writeFileSync(path, JSON.stringify({ children: [{ title: "c0" }, { title: "c1", deps: ["#0"] }] }));
  return path;
}

const MADE = {
  parent: { id: "p", title: "t p", stage: "blocked", deps: [], kind: "composite" },
  children: [
    { id: "c0", title: "t c0", stage: "queued", deps: [] },
    { id: "c1", title: "t c1", stage: "blocked", deps: ["c0"] },
  ],
};

const NOTE =
  "Ctrl-C: the children are on their way (2 children for job p in one request); waiting for its answer, which " +
  "decides whether they were added; Ctrl-C again ends at once, not knowing whether they were added";

const children = (...extra: string[]) => {
  const file = childrenFile();
  return (url: string) => ["children", "p", file, ...extra, ...connection(url, "shop")];
};

describe("Ctrl-C while children's POST is out", () => {
  it("says it waits for the answer, prints the children as without Ctrl-C, and ends interrupted (130)", async () => {
    const { run, reply } = await interruptedPost(children());
    await run.until("the note", () => run.stderr().includes(NOTE));
    reply.json(201, MADE);
    expect(await run.code).toBe(130);
    expect(run.stdout()).toMatch(/^c1\s+t c1\s+blocked\s+c0\s+created$/m);
    expect(run.stderr().split("\n")).toEqual([
      NOTE,
      "p is blocked; 2 children added",
      "✘ ERROR interrupted: stopped by Ctrl-C while the children were on their way; its answer came: 2 children " +
        "added / they are under job p: follow them with `gigafactory tree p`",
      "",
    ]);
    expect(run.listening()).toBe(0);
  });

  it("a replayed answer says they were made before; under --json one document, the answer with `error`", async () => {
    const { run, reply } = await interruptedPost(children("--json"));
    reply.json(200, MADE, { "idempotent-replayed": "true" });
    expect(await run.code).toBe(130);
    const doc = JSON.parse(run.stdout());
    expect(Object.keys(doc)).toEqual(["error", "parent", "children"]);
    expect(doc.error).toMatchObject({ code: "interrupted", exitCode: 130 });
    expect(doc.error.message).toBe(
      "stopped by Ctrl-C while the children were on their way; its answer came: 2 children made by this same " +
        "request before: nothing new",
    );
    expect(doc.children.map((c: { id: string }) => c.id)).toEqual(["c0", "c1"]);
    expect(run.stderr()).toContain(NOTE); // on stderr under --json too: stdout holds only the document
  });

  it("a request that fails after it: may or may not have been added; the same command again makes none twice", async () => {
    const { run, reply, req } = await interruptedPost(children());
    reply.problem(503, { type: "x", title: "t", status: 503, detail: "try later", code: "unavailable" });
    expect(await run.code).toBe(130);
    expect(req.headers["idempotency-key"]).toMatch(/^file:[0-9a-f]{32}$/);
    expect(run.stdout()).toBe("");
    const lines = run.stderr().split("\n");
    expect(lines[0]).toBe(NOTE);
    expect(lines[1]).toMatch(/^✘ ERROR unavailable: try later \/ /); // the failure itself, as without Ctrl-C
    expect(lines[2]).toBe(
      "✘ ERROR interrupted: stopped by Ctrl-C while the children were on their way, and its answer was a failure " +
        "(unavailable): the children may or may not have been added / run the same command again on the same file " +
        "(its Idempotency-Key is derived from the file's bytes): children already added are returned, not made twice",
    );
  });

  it("a failure under --json with --key: {error, failure}, the fix naming the same --key", async () => {
    const { run, reply } = await interruptedPost(children("--key", "split-7", "--json"));
    reply.json(201, { ok: true }); // no parent with children: bad_response, whether they went in is not known
    expect(await run.code).toBe(130);
    const doc = JSON.parse(run.stdout());
    expect(Object.keys(doc)).toEqual(["error", "failure"]);
    expect(doc.error.fix).toBe(
      "run the same command again with the same --key split-7: children already added are returned, not made twice",
    );
    expect(doc.failure).toMatchObject({ code: "bad_response", exitCode: 1 });
  });

  it("the coordinator's refusal after it: none was added (130)", async () => {
    const { run, reply } = await interruptedPost(children());
    reply.problem(409, { type: "x", title: "t", status: 409, detail: "p is running", code: "invalid_transition" });
    expect(await run.code).toBe(130);
    expect(run.stderr()).toMatch(/^✘ ERROR invalid_transition: p is running \/ /m);
    expect(run.stderr()).toMatch(
      /^✘ ERROR interrupted: stopped by Ctrl-C while the children were on their way, and the coordinator refused it \(invalid_transition\): none was added \/ fix what its `✘ ERROR invalid_transition` says, then run the command again$/m,
    );
  });
});

describe("Ctrl-C while children's POST is out, the real process (SIGINT)", () => {
  it("the first waits for the answer and ends interrupted (130)", async () => {
    const { stub, held } = await holdingCoordinator();
    const run = startCli(children()(stub.url));
    await untilCli(run, "the POST held", () => held.length === 1);
    run.child.kill("SIGINT");
    await untilCli(run, "the note", () => run.stderr().includes(NOTE));
    held[0]!.reply.json(201, MADE);
    const r = await run.exited;
    expect(r.code).toBe(130);
    expect(r.stdout).toMatch(/^c0\s+t c0\s+queued\s+—\s+created$/m);
    expect(r.stderr).toMatch(/^✘ ERROR interrupted: stopped by Ctrl-C while the children were on their way; /m);
  });
});
