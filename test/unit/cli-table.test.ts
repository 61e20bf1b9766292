// Human output of the CLI: tables that truncate and align, and the time formats beside them. Widths are terminal
// columns per grapheme: a CJK title or an emoji takes two columns a character, a combining accent none (code points
// misaligned every column after such a title), and a cut never splits a cluster (an emoji family, an accent).
import { describe, expect, it } from "vitest";
import { jobRows } from "../../src/cli/commands/jobs.ts";
import { eventLine, isTerminalEvent } from "../../src/cli/commands/watch.ts";
import { canRedraw, createProgress, renderBar } from "../../src/cli/progress.ts";
import {
  formatAge,
  formatClock,
  formatDuration,
  formatInstant,
  formatLeft,
  formatSpan,
  renderFields,
  renderTable,
  truncate,
  width,
} from "../../src/cli/table.ts";
import type { JobSummary } from "../../src/shared/responses.ts";

describe("truncate", () => {
  it("keeps text that fits and cuts longer text to exactly max characters ending in an ellipsis", () => {
    expect(truncate("short", 5)).toBe("short");
    expect(truncate("exactly-ten!", 10)).toBe("exactly-t…");
    expect([...truncate("exactly-ten!", 10)].length).toBe(10);
  });

  it("counts terminal columns: an emoji or a CJK character takes two, an accent none; no cluster is split", () => {
    expect(truncate("🚀🚀🚀🚀", 5)).toBe("🚀🚀…");
    expect(truncate("🚀🚀🚀🚀", 4)).toBe("🚀…");
    expect(truncate("修复登录页面", 7)).toBe("修复登…");
    expect(truncate("👨‍👩‍👧👨‍👩‍👧", 3)).toBe("👨‍👩‍👧…");
    expect(truncate("cafe\u0301 au lait", 5)).toBe("cafe\u0301…");
    expect(width("修复 e\u0301 🚀 ✔")).toBe(4 + 1 + 1 + 1 + 2 + 1 + 1);
  });

  it("folds newlines and runs of whitespace so a title cannot break a row", () => {
    expect(truncate("a\n\tb   c", 20)).toBe("a b c");
  });
});

describe("renderTable", () => {
  it("aligns columns two spaces apart, truncates capped columns and leaves no trailing spaces", () => {
    const out = renderTable(
      [{ header: "ID" }, { header: "TITLE", max: 8 }, { header: "N", align: "right" }, { header: "LAST" }],
      [
        ["a", "a very long title", "7", ""],
        ["bbbb", "ok", "12", "x"],
      ],
    );
    expect(out.split("\n")).toEqual(["ID    TITLE      N  LAST", "a     a very …   7", "bbbb  ok        12  x"]);
  });

  it("right-aligns a numeric last column, header included", () => {
    const out = renderTable([{ header: "TERM" }, { header: "= CONTRIBUTION", align: "right" }], [["load", "+1.000"]]);
    expect(out.split("\n")).toEqual(["TERM  = CONTRIBUTION", "load          +1.000"]);
  });

  it("aligns the columns after a title in CJK, with emoji or combining accents", () => {
    const titles = ["修复登录", "ship 🚀 now", "cafe\u0301", "plain"];
    const lines = renderTable(
      [{ header: "TITLE" }, { header: "STAGE" }],
      titles.map((t) => [t, "queued"]),
    ).split("\n");
    // The widest title is "ship 🚀 now": 11 columns (the rocket takes two), so each cell pads to 11, plus the gap.
    expect(lines).toEqual([
      `TITLE${" ".repeat(6)}  STAGE`,
      `修复登录${" ".repeat(3)}  queued`,
      "ship 🚀 now  queued",
      `cafe\u0301${" ".repeat(7)}  queued`,
      `plain${" ".repeat(6)}  queued`,
    ]);
  });

  it("renders just the header for no rows", () => {
    expect(renderTable([{ header: "ID" }, { header: "STAGE" }], [])).toBe("ID  STAGE");
  });

  it("aligns the labels of a detail view", () => {
    expect(
      renderFields([
        ["stage", "queued"],
        ["lease epoch", "3"],
      ]),
    ).toBe("  stage        queued\n  lease epoch  3");
  });
});

describe("time formats", () => {
  it("shows a duration in its largest whole unit and clamps clock skew to 0s", () => {
    expect([0, 59_999, 60_000, 3_599_999, 3_600_000, 86_400_000 * 3, -5_000].map(formatDuration)).toEqual([
      "0s",
      "59s",
      "1m",
      "59m",
      "1h",
      "3d",
      "0s",
    ]);
  });

  it("says how long a run took in its two largest units, floored (a run of 1 h 59 min read '1h')", () => {
    const spans = [0, 45_900, 125_000, 7_140_000, 3_600_000, 86_400_000 + 7_200_000, -5_000];
    expect(spans.map(formatSpan)).toEqual(["0s", "45s", "2m 5s", "1h 59m", "1h", "1d 2h", "0s"]);
    expect([Number.NaN, Number.POSITIVE_INFINITY].map(formatSpan)).toEqual(["—", "—"]);
  });

  it("says a time left rounded up, so what remains never reads 0s (an open breaker said '0s left')", () => {
    expect([400, 59_500, 60_000, 119_001, 0, -3_000].map(formatLeft)).toEqual(["1s", "1m", "1m", "2m", "0s", "0s"]);
  });

  it("shows the age of an instant, or a dash for never", () => {
    expect(formatAge(1_000, 61_000)).toBe("1m");
    expect(formatAge(undefined, 61_000)).toBe("—");
  });

  it("shows a full instant in UTC to the second and a clock time as HH:MM:SS", () => {
    expect(formatInstant(Date.UTC(2026, 0, 2, 3, 4, 5, 678))).toBe("2026-01-02T03:04:05Z");
    expect(formatClock(Date.UTC(2026, 0, 2, 3, 4, 5))).toMatch(/^\d\d:\d\d:\d\d$/);
    expect(formatClock(Number.NaN)).toBe("--:--:--");
  });
});

describe("rows and lines built from API records", () => {
  it("renders a job row with attempt as n/max, a dash for no holder, and its age", () => {
    const job = {
      id: "job_1",
      stage: "queued",
      priority: "high",
      title: "T",
      attempt: 1,
      maxAttempts: 3,
      createdAt: 0,
    };
    expect(jobRows([{ ...job, waitingReason: null } as unknown as JobSummary], 120_000)).toEqual([
      ["job_1", "queued", "high", "T", "1/3", "—", "2m", "—"],
    ]);
    // A holder is named as `job ID` names it (newcomer N read fac_… ids here), its id too where two share the name.
    const held = { ...job, stage: "building", waitingReason: null, holderFactoryId: "fac_g" } as unknown as JobSummary;
    expect(jobRows([held], 120_000, new Map([["fac_g", "demo-gpu"]]))[0]![5]).toBe("demo-gpu");
    const twice = new Map([
      ["fac_g", "demo-gpu"],
      ["fac_old", "demo-gpu"],
    ]);
    expect(jobRows([held], 120_000, twice)[0]![5]).toBe("demo-gpu (fac_g)");
    expect(jobRows([held], 120_000)[0]![5]).toBe("fac_g");
  });

  it("renders an event as #seq, clock, type and a from → to summary for stage moves", () => {
    const e = { seq: 7, type: "job.stage", at: Date.UTC(2026, 0, 1), data: { from: "building", to: "shipped" } };
    expect(eventLine(e)).toMatch(/^#7 {2}\d\d:\d\d:\d\d {2}job\.stage {2}building → shipped$/);
    expect(isTerminalEvent(e)).toBe(true);
    expect(isTerminalEvent({ ...e, data: { from: "queued", to: "assigned" } })).toBe(false);
    expect(isTerminalEvent({ ...e, type: "log", data: { to: "shipped" } })).toBe(false);
  });

  it("summarises other events as key=value pairs", () => {
    const e = { seq: 1, type: "progress", at: 0, data: { pct: 40, note: "tests" } };
    expect(eventLine(e)).toMatch(/ {2}progress {2}pct=40 note=tests$/);
  });
});

describe("submit progress", () => {
  it("draws a bar in place on a terminal and one line per item elsewhere", () => {
    expect(renderBar(1, 4, 8)).toBe("[██░░░░░░] 1/4");
    const tty: string[] = [];
    const bar = createProgress((t) => tty.push(t), 2, true);
    bar.tick("a.md", true);
    bar.tick("b.md", false);
    bar.finish();
    expect(tty.every((t) => t.startsWith("\r") || t === "\n")).toBe(true);
    expect(tty[1]).toContain("1 failed");
    const plain: string[] = [];
    const lines = createProgress((t) => plain.push(t), 2, false);
    lines.tick("a.md", true);
    lines.tick("b.md", false);
    lines.finish();
    expect(plain).toEqual(["✔ [1/2] a.md\n", "✘ [2/2] b.md\n"]);
  });

  // Emacs' shell and other dumb terminals are TTYs that do not read ESC [ K: a redrawn bar printed as garbage there.
  it("redraws only on a terminal that is not TERM=dumb", () => {
    expect(canRedraw(true, { TERM: "xterm-256color" })).toBe(true);
    expect(canRedraw(true, {})).toBe(true);
    expect(canRedraw(true, { TERM: "dumb" })).toBe(false);
    expect(canRedraw(false, { TERM: "xterm" })).toBe(false);
  });
});
