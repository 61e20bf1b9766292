// An answer nested thousands deep (a few KB: JSON.parse takes it, JSON.stringify's recursion does not) makes a --json
// command fail cleanly as `✘ ERROR bad_response`, with the --json error document as its one stdout document — it
// was `✘ ERROR internal: Maximum call stack size exceeded / this is a CLI bug`, for every --json command. An answer
// of ordinary depth is still printed as it came. `gigafactory watch` shows such a value in an event as "…" (it ended
// as that CLI bug mid-feed), and a record in a list of children as JSON, not "[object Object]".
import { describe, expect, it } from "vitest";
import { makeContext } from "../../src/cli/context.ts";
import { eventLines } from "../../src/cli/event-text.ts";
import { captureCli, connection, stubCoordinator } from "../support/cli-harness.ts";
import { jobFixture } from "../support/fixtures.ts";

const AT = Date.UTC(2026, 0, 2, 3, 4, 5);
/** `doc` as JSON with its string "DEEP" a list nested `depth` deep (the stand-in cannot JSON.stringify one either). */
const withDeep = (doc: unknown, depth: number): string =>
  JSON.stringify(doc).replace('"DEEP"', "[".repeat(depth) + "]".repeat(depth));
/** The nested list itself, built without recursion. */
function deep(depth: number): unknown {
  let v: unknown = [];
  for (let i = 0; i < depth; i++) v = [v];
  return v;
}

describe("a --json command given an answer nested 100,000 deep", () => {
  it("`jobs --json` fails as bad_response, its error document the one thing on stdout", async () => {
    const summary = { id: "job_1", stage: "queued", priority: "high", title: "t", attempt: 0, maxAttempts: 3 };
    const page = { jobs: [{ ...summary, createdAt: AT, extra: "DEEP" }] };
    const stub = await stubCoordinator((_req, reply) => reply.text(200, withDeep(page, 100_000), "application/json"));
    const r = await captureCli(["jobs", "--json", ...connection(stub.url, "p")]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^✘ ERROR bad_response: the coordinator's answer cannot be written as JSON/);
    expect(JSON.parse(r.stdout).error.code).toBe("bad_response");
  });

  it("`job ID --json` fails as bad_response; without --json the job is shown", async () => {
    const job = {
      ...jobFixture(AT, { id: "job_1", title: "t" }),
      waitingReason: { code: "c", message: "m", since: AT, detail: { deep: "DEEP" } },
    };
    const stub = await stubCoordinator((req, reply) =>
      req.url.endsWith("/runs")
        ? reply.json(200, { runs: [] })
        : reply.text(200, withDeep(job, 100_000), "application/json"),
    );
    const json = await captureCli(["job", "job_1", "--json", ...connection(stub.url, "p")], { now: AT });
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout).error.code).toBe("bad_response");
    const human = await captureCli(["job", "job_1", ...connection(stub.url, "p")], { now: AT });
    expect(human.code).toBe(0);
    expect(human.stdout).toContain("Waiting: m  [c]");
  });
});

describe("ctx.emit and ctx.emitLine", () => {
  const capture = () => {
    let out = "";
    const ctx = makeContext(
      {
        stdout: (t) => {
          out += t;
        },
        stderr: () => {},
        stderrIsTTY: false,
        env: {},
        now: () => AT,
      },
      { json: true },
      [],
    );
    return { ctx, out: () => out };
  };

  it("refuse a document nested too deep, writing nothing", () => {
    const { ctx, out } = capture();
    expect(() => ctx.emit({ a: deep(100_000) })).toThrow(expect.objectContaining({ code: "bad_response" }));
    expect(() => ctx.emitLine({ a: deep(100_000) })).toThrow(expect.objectContaining({ code: "bad_response" }));
    expect(out()).toBe("");
  });

  it("write a document of ordinary depth as JSON.stringify does, a bidi control escaped (core/terminal-text)", () => {
    const { ctx, out } = capture();
    const doc = { title: "a\u202eb\u001b[2J", n: [1, { x: null }], deep: deep(50) };
    ctx.emit(doc);
    ctx.emitLine(doc);
    const as = (indent?: number) => JSON.stringify(doc, null, indent).replace("\u202e", "\\u202e");
    expect(out()).toBe(`${as(2)}\n${as()}\n`);
  });
});

describe("gigafactory watch's lines (cli/event-text) for event data nested 100,000 deep", () => {
  const event = (type: string, data: Record<string, unknown>) => ({ seq: 7, type, at: AT, data });

  it("show the deep value as … instead of failing as a CLI bug", () => {
    expect(eventLines(event("job.something", { note: "hi", deep: deep(100_000) }))).toEqual([
      expect.stringMatching(/ {2}job\.something {2}note=hi deep=…$/),
    ]);
    expect(eventLines(event("job.children", { added: ["job_2", deep(100_000)], total: 2 }))).toEqual([
      expect.stringMatching(/added 2 children: job_2, … · 2 in all$/),
    ]);
    expect(eventLines(event("log", { lines: [{ stream: "stdout", text: deep(100_000), at: AT }] }))).toEqual([
      expect.stringMatching(/log {2}\[stdout\] …$/),
    ]);
  });

  it("show a record as JSON, never [object Object]", () => {
    const [line] = eventLines(event("job.children", { added: [{ id: "job_2" }], total: 1 }));
    expect(line).toContain('added 1 child: {"id":"job_2"}');
  });
});
