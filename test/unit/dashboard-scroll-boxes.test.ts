// Every box of the dashboard that scrolls its content — a table's `.table-wrap` (sideways on a phone), the
// timeline's `.scroll` (down) — is built by dashboard/scroll-box.js `scrollBox`: a tab stop and a named region, so a
// keyboard user can scroll it (WCAG 2.1.1, axe scrollable-region-focusable). A box built by hand with the class was
// reachable only by a pointer: the jobs table's Priority, Attempt and Factory at 320 px among them. The boxes built
// on their own — the log, the job's manifest, a dead letter's message — are tab stops with a name too.
import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

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
