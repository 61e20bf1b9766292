// Ordinary text typed or pasted into the CLI passes the coordinator's control-character rule (shared/plain-text):
// `--note "$(cat note.txt)"` of a file with Windows line ends (the shell strips the last LF, leaving a lone CR), an
// old Mac file's lone CRs, a comment copied with its terminal colour codes — each body the CLI sends for a job
// action's note, a review comment, a lesson's text, a freeze reason is one the API's own request schema accepts.
// A control character nothing can make plain (a form feed, a bare ESC, a tab in a token name) is a usage error that
// names it and its line and column, and sends nothing: it was a 400 about a character nobody could see.
import { describe, expect, it } from "vitest";
import { ActionBody, MintTokenBody } from "../../src/shared/api.ts";
import { LessonBody } from "../../src/shared/api-lessons.ts";
import { FreezeBody, ReviewBody, UnfreezeBody } from "../../src/shared/api-policies.ts";
import { captureCli, connection, stubCoordinator } from "../support/cli-harness.ts";

const CRLF_FILE = "first line\r\nsecond\tline\r\n".replace(/\n$/, ""); // `$(cat file)`: the last LF gone, its CR kept
const COLOURED = "\u001b[1;31mred\u001b[0m and plain";

describe("free text the CLI sends", () => {
  it("is what the API's schemas accept: line ends made LF, colour codes removed", async () => {
    const stub = await stubCoordinator((_req, reply) => reply.json(200, {}));
    const on = connection(stub.url, "shop");
    await captureCli(["cancel", "job_1", "--note", CRLF_FILE, ...on]);
    await captureCli(["reject", "job_1", "--note", "old\rmac", "--reviewer", "bob", ...on]);
    await captureCli(["review", "reject", "job_1", "--comment", COLOURED, ...on]);
    await captureCli(["lessons", "add", CRLF_FILE, ...on]);
    await captureCli(["serial", "freeze", "key-a", "--reason", COLOURED, ...on]);
    await captureCli(["serial", "unfreeze", "key-a", "--reason", "a\r\nb", ...on]);
    const [cancel, reject, review, lesson, freeze, unfreeze] = stub.bodies as Record<string, unknown>[];
    expect(cancel).toEqual({ note: "first line\nsecond\tline\n" }); // its lone CR: a line end
    expect(reject).toEqual({ note: "old\nmac", reviewer: "bob" });
    expect(review).toMatchObject({ verdict: "reject", comment: "red and plain" });
    expect(lesson).toMatchObject({ text: "first line\nsecond\tline\n" });
    expect(freeze).toEqual({ reason: "red and plain" });
    expect(unfreeze).toEqual({ reason: "a\nb" });
    expect(ActionBody.safeParse(cancel).success).toBe(true);
    expect(ActionBody.safeParse(reject).success).toBe(true);
    expect(ReviewBody.safeParse(review).success).toBe(true);
    expect(LessonBody.safeParse(lesson).success).toBe(true);
    expect(FreezeBody.safeParse(freeze).success).toBe(true);
    expect(UnfreezeBody.safeParse(unfreeze).success).toBe(true);
  });

  it("with another control character is refused before sending, naming it and where it is", async () => {
    const stub = await stubCoordinator((_req, reply) => reply.json(200, {}));
    const on = connection(stub.url, "shop");
    const feed = await captureCli(["cancel", "job_1", "--note", "page one\r\nab\fpage two", ...on]);
    expect(feed.code).toBe(2);
    expect(feed.stderr).toContain("--note holds a control character, U+000C (form feed), at line 2, column 3");
    expect(feed.stderr).toContain("keeps tabs and line breaks");
    const esc = await captureCli(["lessons", "edit", "les_1", "--text", "clear \u001b[2J screen", ...on]);
    expect(esc.code).toBe(2);
    expect(esc.stderr).toContain("U+001B (ESC, a terminal escape sequence), at line 1, column 7");
    const name = await captureCli(["tokens", "mint", "--role", "viewer", "--name", "ci\tbot", ...on]);
    expect(name.code).toBe(2);
    expect(name.stderr).toContain("--name holds a control character, U+0009 (tab), at line 1, column 3");
    expect(stub.lines).toEqual([]);
    expect(MintTokenBody.safeParse({ role: "viewer", name: "ci\tbot" }).success).toBe(false); // what it spared
  });
});
