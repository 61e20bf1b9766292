// Every box of the dashboard that scrolls its content — a table's `.table-wrap` (sideways on a phone), the
// timeline's `.scroll` (down) — is built by dashboard/scroll-box.js `scrollBox`: a tab stop and a named region, so a
// keyboard user can scroll it (WCAG 2.1.1, axe scrollable-region-focusable). A box built by hand with the class was
// reachable only by a pointer: the jobs table's Priority, Attempt and Factory at 320 px among them. The boxes built
// on their own — the log, the job's manifest, a dead letter's message — are tab stops with a name too. Every class
// the stylesheets let scroll (overflow auto or scroll) is one of these: the composite's graph (.dag-wrap) scrolled
// with no way in by keyboard but through its nodes, which Tab moves between without scrolling sideways to them.
import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { dashboardCss } from "./dashboard-css.ts";

const DIR = "dashboard";
/** A scrolling class set on an element literally: `class: "table-wrap"`, `class: "scroll"`. */
const BY_HAND = /class:\s*"(table-wrap|scroll)"/;

describe("dashboard scroll boxes", () => {
  it("are all built by scrollBox, none with its class by hand", () => {
    const byHand = readdirSync(DIR)
      .filter((f) => f.endsWith(".js") && f !== "scroll-box.js")
      .filter((f) => BY_HAND.test(readFileSync(`${DIR}/${f}`, "utf8")));
    expect(byHand).toEqual([]);
  });

  it("that are a pre or the log (built on their own) are tab stops with a name", () => {
    const own = /class:\s*"(log|manifest|dead-letter-message)"[^}]*\}/g;
    const found = readdirSync(DIR)
      .filter((f) => f.endsWith(".js"))
      .flatMap((f) => [...readFileSync(`${DIR}/${f}`, "utf8").matchAll(own)].map((m): [string, string] => [f, m[0]]));
    expect(found.map(([f]) => f).sort()).toEqual(["dead-letter-rows.js", "job-detail.js", "timeline.js"]);
    for (const [f, attrs] of found)
      expect([f, /tabindex: "0"/.test(attrs) && /"aria-label"/.test(attrs)]).toEqual([f, true]);
  });

  it("include every class the stylesheets let scroll", () => {
    const scrolling = new Set<string>();
    for (const [, selectors, body] of dashboardCss().matchAll(/([^{}]+)\{([^}]*)\}/g))
      if (/(^|;)\s*overflow(-x|-y)?\s*:\s*(auto|scroll)/.test(body ?? ""))
        for (const [, cls] of (selectors ?? "").matchAll(/\.([a-z][\w-]*)/g)) scrolling.add(cls ?? "");
    const js = readdirSync(DIR)
      .filter((f) => f.endsWith(".js"))
      .map((f) => readFileSync(`${DIR}/${f}`, "utf8"))
      .join("\n");
    // Built by scrollBox, or by hand with its tab stop and name (the second case above).
    const boxed = (cls: string) =>
      js.includes(`scrollBox("${cls}"`) ||
      new RegExp(`class:\\s*"${cls}"[^}]*tabindex: "0"[^}]*"aria-label"`).test(js) ||
      new RegExp(`class:\\s*"${cls}"[^}]*"aria-label"[^}]*tabindex: "0"`).test(js);
    expect(scrolling.size).toBeGreaterThan(3);
    expect([...scrolling].filter((cls) => !boxed(cls))).toEqual([]);
  });

  it("are built in the files that draw the tables and the timeline", () => {
    const using = readdirSync(DIR)
      .filter((f) => f.endsWith(".js"))
      .filter((f) => readFileSync(`${DIR}/${f}`, "utf8").includes("scrollBox("))
      .sort();
    expect(using).toEqual(
      expect.arrayContaining(["jobs.js", "runs.js", "timeline.js", "alerts.js", "lessons.js", "serial.js"]),
    );
  });
});
