// Text typed into the CLI that the coordinator would refuse for its size is refused before anything is sent, by the
// same limit the coordinator checks (imported from where it is defined, never copied): `serial freeze --reason` of
// 600 bytes went out and came back a 400 from the server, and so did an over-long `--note`, `--comment` and lesson
// text. And an error that shows back what was typed shows at most ISSUE_TEXT_BYTES of it (core/bytes, the
// coordinator's own bound on echoed input), with how long it was: a refused 900-byte serial key came back whole in
// the `✘ ERROR` line, as did a 900-byte unknown command, option, argument, choice, id, KEY=N, URL, factory name or
// capability.
import { describe, expect, it } from "vitest";
import { ISSUE_TEXT_BYTES } from "../../src/core/bytes.ts";
import { LESSON_LIMITS } from "../../src/core/lessons.ts";
import { MAX_COMMENT_BYTES } from "../../src/core/review.ts";
import { FREEZE_REASON_MAX_BYTES } from "../../src/core/serial-gates.ts";
import { ACTION_NOTE_MAX_BYTES } from "../../src/shared/api.ts";
import { captureCli, connection, stubCoordinator } from "../support/cli-harness.ts";

/** Typed input far past every echo bound: what a paste of the wrong buffer or an unquoted `$(cat file)` gives. */
const BIG = "k".repeat(900);
/** `routing experiment start` with its required --class, before the arms' weights. */
const START = ["routing", "experiment", "start", "--class", "lang:rust"];

describe("text past the coordinator's limit is refused before it is sent", () => {
  it.each([
    [["serial", "freeze", "deploy", "--reason"], "--reason", FREEZE_REASON_MAX_BYTES, "serial freeze"],
    [["serial", "unfreeze", "deploy", "--reason"], "--reason", FREEZE_REASON_MAX_BYTES, "serial unfreeze"],
    [["cancel", "job_0mx1", "--note"], "--note", ACTION_NOTE_MAX_BYTES, "cancel"],
    [["review", "approve", "job_0mx1", "--comment"], "--comment", MAX_COMMENT_BYTES, "review approve"],
    [["lessons", "edit", "les_0mx1", "--text"], "--text", LESSON_LIMITS.textMaxBytes, "lessons edit"],
  ])("%j", async (argv, option, max, command) => {
    const { url, lines } = await stubCoordinator((_req, reply) => reply.json(500, {}));
    // "é" is 2 bytes of UTF-8 and 1 UTF-16 unit: a limit counted in string length would let this through.
    const over = "é".repeat(Math.ceil((max + 1) / 2));
    const run = await captureCli([...argv, over, ...connection(url, "p")]);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      `✘ ERROR usage: ${option} is ${over.length * 2} bytes of UTF-8, past the ${max} the coordinator takes / ` +
        `shorten it and run \`gigafactory ${command}\` again\n`,
    );
    expect(lines).toEqual([]);
  });

  it("text at the limit, and the same past it only by spaces the coordinator trims, is sent", async () => {
    const { url, bodies } = await stubCoordinator((_req, reply) =>
      reply.json(200, { key: "deploy", holder: null, queue: [], queueLength: 0, frozen: null, changed: true }),
    );
    const exact = "r".repeat(FREEZE_REASON_MAX_BYTES);
    await captureCli(["serial", "freeze", "deploy", "--reason", exact, ...connection(url, "p")]);
    await captureCli(["serial", "freeze", "deploy", "--reason", `  ${exact}\n`, ...connection(url, "p")]);
    expect(bodies).toEqual([{ reason: exact }, { reason: `  ${exact}\n` }]);
  });
});

describe("an error shows back at most ISSUE_TEXT_BYTES of what was typed", () => {
  it.each(
    (
      [
        [["serial", "freeze", BIG, "--reason", "x"]],
        [["serial", "unfreeze", BIG]],
        [[BIG]],
        [["jobs", `--${BIG}`]],
        [["jobs", BIG]],
        [["tokens", BIG]],
        [["jobs", "--stage", BIG]],
        [["jobs", "--limit", BIG]],
        [["budget", "set", BIG, "25"]],
        [["job", BIG]],
        [["cancel", BIG]],
        [["artifact", BIG, "job_0mx1"]],
        [["alerts", "--ack", BIG]],
        [["lessons", "edit", BIG, "--text", "t"]],
        [["routing", "experiment", "stop", BIG]],
        [[...START, "--a-weight", BIG, "--b-weight", "load=1"]],
        [[...START, "--a-weight", `${BIG}=2`, "--b-weight", "load=1"]],
        [[...START, "--a-weight", `load=${BIG}`, "--b-weight", "load=1"]],
        [["enroll", "box-1", "--cap", BIG]],
        [["enroll", BIG]],
      ] as string[][][]
    ).map(([argv = []]) => [argv.join(" ").replaceAll(BIG, "<900 k>"), argv] as const),
  )("%s", async (_, argv) => {
    const { url, lines } = await stubCoordinator((_req, reply) => reply.json(500, {}));
    const run = await captureCli([...argv, ...connection(url, "p")]);
    expect(run.code).toBe(2);
    expect(lines).toEqual([]);
    // The first ISSUE_TEXT_BYTES of it (with what precedes it in the word: `--`, `load=`), cut with "…", and never
    // a longer run of it.
    expect(run.stderr).toMatch(new RegExp(`k{${ISSUE_TEXT_BYTES - 5},${ISSUE_TEXT_BYTES}}…`));
    expect(run.stderr).not.toContain("k".repeat(ISSUE_TEXT_BYTES + 1));
  });

  it("a URL and a factory reference are shown cut too: --url of 900 bytes, `factory approve` of a name none has", async () => {
    const url = await captureCli(["jobs", "--url", `http://${BIG}?q`, "--token", "t", "--product", "p"]);
    expect(url.code).toBe(2);
    expect(url.stderr).toMatch(new RegExp(`^✘ ERROR bad_url: "http://k{${ISSUE_TEXT_BYTES - 7}}…" \\(--url\\)`));
    const { url: at } = await stubCoordinator((_req, reply) => reply.json(200, { factories: [] }));
    const ref = await captureCli(["factory", "approve", BIG, "--cap", "gpu", ...connection(at, "p")]);
    expect(ref.stderr).toContain(`no factory has the name or id ${"k".repeat(ISSUE_TEXT_BYTES)}…`);
    expect(ref.stderr).not.toContain("k".repeat(ISSUE_TEXT_BYTES + 1));
  });

  it("a serial key past its limit is named by its size, cut", async () => {
    const run = await captureCli(["serial", "freeze", BIG, "--reason", "x"]);
    expect(run.stderr).toBe(
      `✘ ERROR usage: "${"k".repeat(ISSUE_TEXT_BYTES)}…" (900 bytes) is not a serial key: at most 800 bytes of UTF-8 / ` +
        "see `gigafactory serial freeze --help`\n",
    );
  });
});
