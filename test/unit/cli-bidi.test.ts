// A Unicode bidi control in text from elsewhere cannot reorder what the operator sees: every human line the CLI prints
// (ctx.print and ctx.note, core/terminal-text) shows U+202A–202E, U+2066–2069, LRM, RLM and the Arabic letter mark
// as U+FFFD — a job title holding U+202E showed the rest of its `gigafactory jobs` row reversed — while --json keeps
// the answer byte for byte. A table counts each such character, and a soft hyphen, as the one column a terminal gives
// it, so the columns after it stay aligned.
import { describe, expect, it } from "vitest";
import { makeContext } from "../../src/cli/context.ts";
import { renderTable, width } from "../../src/cli/table.ts";
import { terminalText } from "../../src/core/terminal-text.ts";
import { captureCli, connection, stubCoordinator } from "../support/cli-harness.ts";

const AT = Date.UTC(2026, 0, 1, 12, 0, 0);
const BIDI = ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069"];
const MARKS = ["\u200e", "\u200f", "\u061c"];
const ANY_BIDI = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

describe("gigafactory jobs", () => {
  const job = (id: string, title: string) => ({
    id,
    title,
    stage: "queued",
    priority: "high",
    attempt: 0,
    maxAttempts: 3,
    createdAt: AT,
  });
  const jobs = [job("job_1", "Fix \u202egnp.1 :ko\u202c login"), job("job_2", "Plain title here")];

  it("shows a title's bidi override as U+FFFD, with the columns after it where the header puts them", async () => {
    const stub = await stubCoordinator((_req, reply) => reply.json(200, { jobs }));
    const r = await captureCli(["jobs", ...connection(stub.url, "p")], { now: AT });
    expect(r.code).toBe(0);
    expect(r.stdout).not.toMatch(ANY_BIDI);
    expect(r.stdout).toContain("Fix \ufffdgnp.1 :ko\ufffd login");
    const [header, ...rows] = r.stdout.trimEnd().split("\n");
    // ATTEMPT is right-aligned: its cells end where its header ends.
    const attemptEnd = header!.indexOf("ATTEMPT") + "ATTEMPT".length;
    for (const row of rows) expect(row.slice(attemptEnd - 3, attemptEnd)).toBe("0/3");
  });

  it("keeps them in --json, byte for byte", async () => {
    const stub = await stubCoordinator((_req, reply) => reply.json(200, { jobs }));
    const r = await captureCli(["jobs", "--json", ...connection(stub.url, "p")], { now: AT });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).jobs[0].title).toBe(jobs[0]!.title);
  });
});

describe("the human lines (ctx.print, ctx.note)", () => {
  it("show every bidi control and mark as U+FFFD, on stdout and stderr", () => {
    let out = "";
    let err = "";
    const io = {
      stdout: (t: string) => {
        out += t;
      },
      stderr: (t: string) => {
        err += t;
      },
      stderrIsTTY: false,
      env: {},
      now: () => AT,
    };
    const ctx = makeContext(io, {}, []);
    const text = `a${[...BIDI, ...MARKS].join("b")}c`;
    ctx.print(text);
    ctx.note(text);
    const shown = `a${[...BIDI, ...MARKS].map(() => "\ufffd").join("b")}c\n`;
    expect(out).toBe(shown);
    expect(err).toBe(shown);
  });

  it("leave right-to-left letters as they are", () => {
    expect(terminalText("שלום עולם مرحبا")).toBe("שלום עולם مرحبا");
  });
});

describe("table widths", () => {
  it("count a bidi control and a soft hyphen as one column, as a terminal shows them", () => {
    for (const ch of [...BIDI, ...MARKS, "\u00ad"]) expect(width(`ab${ch}c`)).toBe(4);
    const table = renderTable(
      [{ header: "TITLE" }, { header: "STAGE" }],
      [
        ["x\u202ey\u00adz", "queued"],
        ["plain", "queued"],
      ],
    );
    const [header, ...rows] = terminalText(table).split("\n");
    const stageAt = header!.indexOf("STAGE");
    for (const row of rows) expect(row.indexOf("queued")).toBe(stageAt);
  });
});
