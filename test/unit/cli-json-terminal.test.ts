// --json output is read on terminals too, and JSON.stringify escapes only C0: an engine's log line holding C1
// controls (U+009D is OSC, U+009B is CSI: the one-byte forms of ESC ] and ESC [, which terminals obey) or a bidi
// override went out raw under `watch --json`, `jobs --json` and a --json error document. Each is now written as its
// \uXXXX escape (core/terminal-text `jsonForTerminal`, cli/context `jsonText`): no raw DEL, C1 or bidi control reaches
// stdout, and a JSON parser reads exactly the text that was sent.
import { describe, expect, it } from "vitest";
import { jsonForTerminal } from "../../src/core/terminal-text.ts";
import { captureCli, connection, stubCoordinator, stubShippedJobWithLog } from "../support/cli-harness.ts";

const AT = Date.UTC(2026, 0, 1, 12, 0, 0);
/** Writes "evil" to the clipboard (C1 OSC 52 … ST), clears the screen (C1 CSI 2J), and reverses what follows. */
const HOSTILE = "ok\u009d52;c;ZXZpbA==\u009c\u009b2Jdel\u007f \u202eexe.txt\u2066";
const RAW = /[\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

describe("--json output holds no raw DEL, C1 or bidi control, and parses to the text sent", () => {
  it("gigafactory watch --json: an engine's log line", async () => {
    const stub = await stubShippedJobWithLog(HOSTILE, AT);
    const run = await captureCli(["watch", "job_1", "--json", ...connection(stub.url, "p")]);
    expect(run.code).toBe(0);
    expect(run.stdout).not.toMatch(RAW);
    expect(run.stdout).toContain("\\u009d52;c;ZXZpbA==\\u009c\\u009b2J");
    expect(JSON.parse(run.stdout.split("\n")[0]!).data.lines[0].text).toBe(HOSTILE);
  });

  it("gigafactory jobs --json: a title; and a --json error document: a coordinator's detail", async () => {
    const job = {
      id: "job_1",
      title: `Fix ${HOSTILE}`,
      stage: "queued",
      priority: "high",
      attempt: 0,
      maxAttempts: 3,
      createdAt: AT,
    };
    const listed = await stubCoordinator((_req, reply) => reply.json(200, { jobs: [job] }));
    const run = await captureCli(["jobs", "--json", ...connection(listed.url, "p")]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).not.toMatch(RAW);
    expect(JSON.parse(run.stdout).jobs[0].title).toBe(`Fix ${HOSTILE}`);

    const refusing = await stubCoordinator((_req, reply) =>
      reply.problem(409, { title: "Conflict", detail: `refused: ${HOSTILE}`, code: "conflict" }),
    );
    const failed = await captureCli(["jobs", "--json", ...connection(refusing.url, "p")]);
    expect(failed.code).not.toBe(0);
    expect(failed.stdout).not.toMatch(RAW);
    expect(JSON.parse(failed.stdout).error.message).toContain(`refused: ${HOSTILE}`);
  });

  it("jsonForTerminal escapes only those characters: the same value to JSON.parse, other text untouched", () => {
    const doc = { t: `a${HOSTILE}\u001b\n漢字 😀 עברית`, "k\u0085": [1, "\u00a0é"] };
    const text = jsonForTerminal(JSON.stringify(doc, null, 2));
    expect(text).not.toMatch(RAW);
    expect(JSON.parse(text)).toEqual(doc);
    const plain = JSON.stringify({ t: "漢字 😀 עברית é\u00a0" });
    expect(jsonForTerminal(plain)).toBe(plain);
  });
});
