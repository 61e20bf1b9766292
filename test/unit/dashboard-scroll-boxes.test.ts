// Every box of the dashboard that scrolls its content — a table's `.table-wrap` (sideways on a phone), the
// timeline's `.scroll` (down) — is built by dashboard/scroll-box.js `scrollBox`: a tab stop and a named region, so a
// keyboard user can scroll it (WCAG 2.1.1, axe scrollable-region-focusable). A box built by hand with the class was
// reachable only by a pointer: the jobs table's Priority, Attempt and Factory at 320 px among them.
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
