// Ctrl-C (SIGINT) while a job action on ONE id (`gigafactory requeue ID`, `ship ID`, `review approve|reject ID`) has its one request out,
// in-process (an Io whose onInterrupt the test presses while a stand-in coordinator on a real local socket holds the
// POST): the first Ctrl-C says the action is on its way and that the answer decides whether the job was acted on, and
// waits for it; an answer prints the `✔` line as without Ctrl-C, then `✘ ERROR interrupted` (exit 130) with the stage
// the job is now in — under --json the job with `error`. A request that fails after it says whether the job may have
// been acted on and to read it with `gigafactory job ID` before acting again — `{error, failure}` under --json; a
// coordinator's refusal says it was not. It ended at once, saying nothing, so whether a requeue (a paid run) went in
// was left to guess; several ids had their own Ctrl-C handling (cli-job-actions-interrupt), one had none; nor had
// `review reject ID`, whose onReject: requeue starts a paid run too.
import { describe, expect, it } from "vitest";
import { connection } from "../support/cli-harness.ts";
import { interruptedPost } from "../support/cli-interrupt.ts";

const NOTE =
  "Ctrl-C: the requeue of job job_1 is on its way; waiting for its answer, which decides whether it was requeued; " +
  "Ctrl-C again ends at once, not knowing whether it was requeued";

const requeue =
  (...extra: string[]) =>
  (url: string) => ["requeue", "job_1", ...extra, ...connection(url, "shop")];

describe("Ctrl-C while a job action on one id is out", () => {
  it("says it waits for the answer, prints the job's line as without Ctrl-C, and ends interrupted (130)", async () => {
    const { run, reply, req } = await interruptedPost(requeue("--budget-usd", "20"));
    await run.until("the note", () => run.stderr().includes(NOTE));
    expect(req.url).toBe("/api/v1/products/shop/jobs/job_1/actions/requeue");
    reply.json(200, { id: "job_1", stage: "queued" });
    expect(await run.code).toBe(130);
    expect(run.stdout()).toBe("✔ requeue: job job_1 is now queued\n");
    expect(run.stderr().split("\n")).toEqual([
      NOTE,
      "✘ ERROR interrupted: stopped by Ctrl-C while the requeue of job job_1 was on its way; its answer came: job " +
        "job_1 is now queued / nothing to send again: read it with `gigafactory job job_1`",
      "",
    ]);
    expect(run.listening()).toBe(0);
  });

  it("under --json prints one document: the job with the interrupted error", async () => {
    const { run, reply } = await interruptedPost(requeue("--json"));
    reply.json(200, { id: "job_1", stage: "queued", attempt: 0 });
    expect(await run.code).toBe(130);
    const doc = JSON.parse(run.stdout());
    expect(doc).toMatchObject({ id: "job_1", stage: "queued", attempt: 0 });
    expect(doc.error).toMatchObject({ code: "interrupted", exitCode: 130 });
    expect(doc.error.message).toBe(
      "stopped by Ctrl-C while the requeue of job job_1 was on its way; its answer came: job job_1 is now queued",
    );
    expect(run.stderr()).toContain(NOTE); // on stderr under --json too: stdout holds only the document
  });

  it("a request that fails after it: may or may not have been acted on; read the job before acting again", async () => {
    const { run, reply } = await interruptedPost(requeue());
    reply.problem(503, { type: "x", title: "t", status: 503, detail: "try later", code: "unavailable" });
    expect(await run.code).toBe(130);
    expect(run.stdout()).toBe("");
    const lines = run.stderr().split("\n");
    expect(lines[0]).toBe(NOTE);
    expect(lines[1]).toMatch(/^✘ ERROR unavailable: try later \/ /); // the failure itself, as without Ctrl-C
    expect(lines[2]).toBe(
      "✘ ERROR interrupted: stopped by Ctrl-C while the requeue of job job_1 was on its way, and its answer was a " +
        "failure (unavailable): job job_1 may or may not have been requeued / read its stage with `gigafactory job " +
        "job_1` before running `gigafactory requeue job_1` again",
    );
  });

  it("the coordinator's refusal after it, under --json: {error, failure}, the job was not acted on", async () => {
    const ship = (url: string) => ["ship", "job_1", "--json", ...connection(url, "shop")];
    const { run, reply } = await interruptedPost(ship);
    reply.problem(409, { type: "x", title: "t", status: 409, detail: "job_1 is queued", code: "invalid_transition" });
    expect(await run.code).toBe(130);
    const doc = JSON.parse(run.stdout());
    expect(Object.keys(doc)).toEqual(["error", "failure"]);
    expect(doc.error.message).toBe(
      "stopped by Ctrl-C while the shipping of job job_1 was on its way, and the coordinator refused it " +
        "(invalid_transition): job job_1 was not shipped",
    );
    expect(doc.error.fix).toBe("fix what its `✘ ERROR invalid_transition` says, then run the command again");
    expect(doc.failure).toMatchObject({ code: "invalid_transition", exitCode: 1 });
  });
});

describe("Ctrl-C while `review approve|reject ID`'s verdict is out", () => {
  const review =
    (verdict: string, ...extra: string[]) =>
    (url: string) => ["review", verdict, "job_1", ...extra, ...connection(url, "shop")];
  const REJECT_NOTE =
    "Ctrl-C: the rejection of job job_1 is on its way; waiting for its answer, which decides whether it was " +
    "rejected; Ctrl-C again ends at once, not knowing whether it was rejected";

  it("says it waits for the answer, prints the verdict's line as without Ctrl-C, and ends interrupted (130)", async () => {
    const { run, reply, req } = await interruptedPost(review("reject", "--comment", "tests fail"));
    await run.until("the note", () => run.stderr().includes(REJECT_NOTE));
    expect(req.url).toBe("/api/v1/products/shop/jobs/job_1/reviews");
    reply.json(200, { required: 0, approvals: 0, job: { id: "job_1", stage: "queued" } });
    expect(await run.code).toBe(130);
    expect(run.stdout()).toBe("✔ rejected: job job_1 is now queued\n");
    expect(run.stderr().split("\n")).toEqual([
      REJECT_NOTE,
      "✘ ERROR interrupted: stopped by Ctrl-C while the rejection of job job_1 was on its way; its answer came: job " +
        "job_1 is now queued / nothing to send again: read it with `gigafactory job job_1`",
      "",
    ]);
  });

  it("under --json: the review's outcome with `error`", async () => {
    const { run, reply } = await interruptedPost(review("approve", "--json"));
    reply.json(200, { required: 2, approvals: 1, job: { id: "job_1", stage: "review" } });
    expect(await run.code).toBe(130);
    const doc = JSON.parse(run.stdout());
    expect(Object.keys(doc)).toEqual(["error", "required", "approvals", "job"]);
    expect(doc.error.message).toBe(
      "stopped by Ctrl-C while the approval of job job_1 was on its way; its answer came: job job_1 is now review",
    );
  });

  it("a request that fails after it: the verdict may or may not have gone in; read the job before sending it again", async () => {
    const { run, reply } = await interruptedPost(review("approve"));
    reply.problem(503, { type: "x", title: "t", status: 503, detail: "try later", code: "unavailable" });
    expect(await run.code).toBe(130);
    expect(run.stderr()).toMatch(/^✘ ERROR unavailable: try later \/ /m);
    expect(run.stderr()).toContain(
      "✘ ERROR interrupted: stopped by Ctrl-C while the approval of job job_1 was on its way, and its answer was a " +
        "failure (unavailable): job job_1 may or may not have been approved / read its stage with `gigafactory job " +
        "job_1` before running `gigafactory review approve job_1` again\n",
    );
  });
});
