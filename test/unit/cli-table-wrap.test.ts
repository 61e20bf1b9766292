// A table's message column is never cut (cli/table `wrap`): `gigafactory alerts` cut MESSAGE at 80 characters, so a
// `webhook_failing` alert's fix ("Check the receiver at HOST, then redrive them: …") was seen only with --json; the
// dead letters' REASON (70), the lessons' TEXT (80) and the jobs' WAITING (60 off a terminal) hid their ends the same
// way. Off a terminal (a pipe, a file) the message is whole on its row's one line — `grep` finds a row by any word of
// it, `awk` reads one row a line; on a terminal it goes on under the row, aligned under its column, no line wider
// than the terminal, broken between words (a word wider than the room inside it, never inside a grapheme).
import { describe, expect, it } from "vitest";
import { renderTable, width, wrapLines } from "../../src/cli/table.ts";
import { runCli, stubCoordinator } from "../support/cli-harness.ts";

const NOW = 1_700_000_060_000;
const HOST = "hooks.example.com";
const FAILING =
  `3 webhook deliveries dead-lettered after all 8 tries; the last: ${HOST} answered 502 Bad Gateway. ` +
  `Check the receiver at ${HOST}, then redrive them: gigafactory dead-letters, then gigafactory dead-letters redrive ID`;
const ALERT = {
  id: "al_0000000000a1",
  kind: "webhook_failing",
  severity: "warning",
  subject: "product",
  message: FAILING,
  state: "open",
  openedAt: NOW - 60_000,
  updatedAt: NOW - 60_000,
};
const REASON =
  "webhook delivery with no webhook set: it would be dropped unsent; set one (PUT …/webhook), then redrive it";
const LESSON_TEXT =
  "Run npm ci before the tests: the lockfile pins vitest 4, and a global vitest 3 fails on the config with a syntax error";

/** The stand-in: alerts, dead letters and lessons, one each, with long texts. */
async function coordinator() {
  return stubCoordinator((req, reply) => {
    if (req.url.includes("/alerts")) return reply.json(200, { alerts: req.url.includes("state=open") ? [ALERT] : [] });
    if (req.url.includes("/dead-letters"))
      return reply.json(200, {
        items: [
          { id: "m-1:0", productId: "p", source: "queue:webhooks", reason: REASON, body: {}, attempts: 8, at: NOW },
        ],
      });
    return reply.json(200, {
      items: [
        {
          id: "les_0000000001abc",
          text: LESSON_TEXT,
          source: "operator",
          capabilities: [],
          count: 1,
          createdAt: NOW,
          updatedAt: NOW,
          createdBy: "operator:alice",
        },
      ],
    });
  });
}

/** One command line with stdout on a terminal `columns` wide, or on a pipe (undefined). */
async function run(argv: string[], columns?: number) {
  let stdout = "";
  let stderr = "";
  const code = await runCli(argv, {
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
    stderrIsTTY: false,
    ...(columns ? { stdoutIsTTY: true, stdoutColumns: columns } : {}),
    env: { HOME: "/nonexistent", GIGAFACTORY_CONFIG: "/nonexistent/config.json" },
    now: () => NOW,
  });
  return { code, stderr, lines: stdout.trimEnd().split("\n") };
}

/** The last column's text, read back from the lines: from `header` on in the row, then each line under it. */
function lastColumn(lines: readonly string[], header: string): string {
  const at = lines[0]!.indexOf(header);
  for (const l of lines.slice(2)) expect(l.slice(0, at).trim()).toBe(""); // under the column, nothing left of it
  return [lines[1]!.slice(at), ...lines.slice(2).map((l) => l.slice(at))].join(" ");
}

const COMMANDS = [
  { argv: ["alerts"], header: "MESSAGE", text: FAILING },
  { argv: ["dead-letters"], header: "REASON", text: REASON },
  { argv: ["lessons", "list"], header: "TEXT", text: LESSON_TEXT },
];

describe("a message column", () => {
  it("is whole on its row's one line when stdout is not a terminal", async () => {
    const { url } = await coordinator();
    for (const { argv, text } of COMMANDS) {
      const r = await run([...argv, "--url", url, "--token", "t", "--product", "p"]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.lines, argv.join(" ")).toHaveLength(2);
      expect(r.lines[1]!.endsWith(text), argv.join(" ")).toBe(true);
    }
  });

  it("goes on under its column on a terminal, no line wider than it, nothing cut", async () => {
    const { url } = await coordinator();
    for (const { argv, header, text } of COMMANDS) {
      const r = await run([...argv, "--url", url, "--token", "t", "--product", "p"], 100);
      expect(r.code, r.stderr).toBe(0);
      for (const line of r.lines) expect(width(line), `${argv.join(" ")}: ${line}`).toBeLessThanOrEqual(100);
      expect(r.lines.length, argv.join(" ")).toBeGreaterThan(2);
      expect(lastColumn(r.lines, header), argv.join(" ")).toBe(text);
      expect(r.lines.join("\n")).not.toContain("…, then");
    }
  });
});

describe("wrapLines", () => {
  it("breaks between words, a word wider than the room inside it, never inside a grapheme", () => {
    expect(wrapLines("check the receiver, then redrive", 12)).toEqual(["check the", "receiver,", "then redrive"]);
    expect(wrapLines("a https://hooks.example.com/x b", 10)).toEqual(["a", "https://ho", "oks.exampl", "e.com/x b"]);
    expect(wrapLines("漢字漢字漢字 ok", 5)).toEqual(["漢字", "漢字", "漢字", "ok"]);
    expect(wrapLines("short", 40)).toEqual(["short"]);
  });

  it("renderTable keeps a non-wrapping last column cut, as before", () => {
    const table = renderTable([{ header: "A" }, { header: "B", max: 5 }], [["x", "abcdefgh"]], 80);
    expect(table).toBe("A  B\nx  abcd…");
  });
});
