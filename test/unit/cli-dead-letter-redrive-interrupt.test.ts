// Ctrl-C (SIGINT) while `gigafactory dead-letters redrive ID`'s one POST is out, in-process (an Io whose onInterrupt
// the test presses while a stand-in coordinator on a real local socket holds the POST): a dispatch message redriven
// makes jobs (paid runs), and the command ended at once, saying nothing. Now the first Ctrl-C says the redrive is on
// its way and waits for its answer; an answer prints the `✔` line as without Ctrl-C, then `✘ ERROR interrupted` (exit
// 130) — under --json the API's answer with `error`. A request that fails after it says whether the message may have
// gone back and that the same command again is safe (its effects are idempotent; one already done is not_found) —
// `{error, failure}` under --json; the coordinator's refusal says this redrive sent nothing back.
import { describe, expect, it } from "vitest";
import { connection } from "../support/cli-harness.ts";
import { interruptedPost } from "../support/cli-interrupt.ts";

const ANSWER = { id: "msg-1:0", source: "queue:dispatch", queue: "dispatch", redriven: true };

const NOTE =
  "Ctrl-C: the redrive of dead letter msg-1:0 is on its way; waiting for its answer, which decides whether its " +
  "message went back to its queue; Ctrl-C again ends at once, not knowing whether it went back";

const redrive =
  (...extra: string[]) =>
  (url: string) => ["dead-letters", "redrive", "msg-1:0", ...extra, ...connection(url, "shop")];

describe("Ctrl-C while dead-letters redrive's POST is out", () => {
  it("says it waits for the answer, prints where the message went as without Ctrl-C, and ends interrupted (130)", async () => {
    const { run, reply } = await interruptedPost(redrive());
    await run.until("the note", () => run.stderr().includes(NOTE));
    reply.json(200, ANSWER);
    expect(await run.code).toBe(130);
    expect(run.stdout()).toBe("✔ dead letter msg-1:0 (queue:dispatch) sent back to the dispatch queue, and deleted\n");
    expect(run.stderr().split("\n")).toEqual([
      NOTE,
      "✘ ERROR interrupted: stopped by Ctrl-C while the redrive of dead letter msg-1:0 was on its way; its answer " +
        "came: sent back to the dispatch queue, and deleted / nothing to send again: `gigafactory dead-letters` no " +
        "longer lists it",
      "",
    ]);
    expect(run.listening()).toBe(0);
  });

  it("under --json prints one document: the API's answer with the interrupted error", async () => {
    const { run, reply } = await interruptedPost(redrive("--json"));
    reply.json(200, ANSWER);
    expect(await run.code).toBe(130);
    const doc = JSON.parse(run.stdout());
    expect(doc).toMatchObject(ANSWER);
    expect(doc.error).toMatchObject({ code: "interrupted", exitCode: 130 });
    expect(run.stderr()).toContain(NOTE);
  });

  it("a request that fails after it: may or may not have gone back; the same command again is safe", async () => {
    const { run, reply } = await interruptedPost(redrive());
    reply.problem(503, { type: "x", title: "t", status: 503, detail: "queue refused", code: "unavailable" });
    expect(await run.code).toBe(130);
    expect(run.stdout()).toBe("");
    const lines = run.stderr().split("\n");
    expect(lines[1]).toMatch(/^✘ ERROR unavailable: queue refused \/ /);
    expect(lines[2]).toBe(
      "✘ ERROR interrupted: stopped by Ctrl-C while the redrive of dead letter msg-1:0 was on its way, and its " +
        "answer was a failure (unavailable): its message may or may not have gone back to its queue / run the same " +
        "command again: a redrive's effects are idempotent (jobs by their idempotency keys), and one already done " +
        "answers `✘ ERROR not_found`",
    );
  });

  it("the coordinator's refusal after it, under --json: {error, failure}, nothing sent back", async () => {
    const { run, reply } = await interruptedPost(redrive("--json"));
    reply.problem(409, {
      type: "x",
      title: "t",
      status: 409,
      detail: "an outbox record",
      code: "dead_letter_not_redrivable",
    });
    expect(await run.code).toBe(130);
    const doc = JSON.parse(run.stdout());
    expect(Object.keys(doc)).toEqual(["error", "failure"]);
    expect(doc.error.message).toBe(
      "stopped by Ctrl-C while the redrive of dead letter msg-1:0 was on its way, and the coordinator refused it " +
        "(dead_letter_not_redrivable): this redrive sent nothing back",
    );
    expect(doc.failure).toMatchObject({ code: "dead_letter_not_redrivable", exitCode: 1 });
  });
});
