// The dashboard's role rule (dashboard/role.js): a viewer may use no control marked `data-needs`, an operator those
// that need an operator, the admin all, a factory's token none, and a role not known (an older coordinator without
// whoami) all — the server judges; a role whoami was refused for otherwise (UNREAD) none, though the lists an
// operator reads are read; only a role that may not act gets the header's "read-only (viewer token)". The
// stylesheet's rule hides exactly what `can` refuses, keyed on <html data-role>; and every page that sends a write
// marks its controls, so a page added later that writes without the mark fails here (the job feed's ticket, a read
// by POST, is the one write-method request a viewer makes).
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
// @ts-expect-error plain browser JavaScript, typed by JSDoc only
import { can, drawnAgain, mayList, PENDING, readOnlyText, UNREAD } from "../../dashboard/role.js";
import { dashboardCss } from "./dashboard-css.ts";

const DIR = path.resolve(import.meta.dirname, "../../dashboard");
/** Requests by a write method that any reader makes: the live feed's ticket (POST …/events/ticket). */
const READS_BY_POST = new Set(["feed.js"]);

describe("dashboard/role.js", () => {
  it("lets each role use what it may, and an unknown role everything", () => {
    const table = ["", "viewer", "operator", "admin", "factory", UNREAD].map((role) => [
      role,
      can(role, "operator"),
      can(role, "admin"),
      mayList(role),
    ]);
    expect(table).toEqual([
      ["", true, true, true],
      ["viewer", false, false, false],
      ["operator", true, false, true],
      ["admin", true, true, true],
      ["factory", false, false, false],
      ["unread", false, false, true],
    ]);
  });

  it("marks read-only only a role that may not act", () => {
    expect(["", "viewer", "operator", "admin", UNREAD].map(readOnlyText)).toEqual([
      "",
      "read-only (viewer token)",
      "",
      "",
      "read-only (role not read)",
    ]);
  });

  it("hides in the stylesheet what `can` refuses: a role other than operator or admin every mark, an operator admin's", () => {
    const css = dashboardCss();
    const rule = /([^{}]*\[data-needs[^{}]*)\{([^{}]*)\}/.exec(css);
    expect(rule?.[2]).toMatch(/display:\s*none\s*!important/);
    const selectors = rule![1]!.split(",").map((s) => s.trim());
    expect(selectors).toEqual([
      'html[data-role]:not([data-role="operator"]):not([data-role="admin"]) [data-needs]',
      'html[data-role="operator"] [data-needs="admin"]',
    ]);
  });

  it("shows a control's words for a role that may not use it exactly where the control is hidden (data-lacks)", () => {
    const css = dashboardCss();
    const rule = /([^{}]*\[data-lacks[^{}]*)\{([^{}]*)\}/.exec(css);
    expect(rule?.[2]).toMatch(/display:\s*none\s*!important/);
    expect(rule![1]!.split(",").map((s) => s.trim())).toEqual([
      "html:not([data-role]) [data-lacks]",
      'html[data-role="operator"] [data-lacks]',
      'html[data-role="admin"] [data-lacks]',
    ]);
  });

  it("draws a page again for a role told only where the page draws by it: settings, the operator's lists", () => {
    // Drawn before whoami answered (role ""), then told a viewer: the form was editable, the lists asked for.
    expect(["settings", "dead-letters", "enrollment"].map((p) => drawnAgain(p, "", "viewer"))).toEqual([
      true,
      true,
      true,
    ]);
    // A role not read, then read: the form was read-only, the lists read either way.
    expect(drawnAgain("settings", UNREAD, "operator")).toBe(true);
    expect(drawnAgain("settings", UNREAD, "viewer")).toBe(false);
    expect(drawnAgain("enrollment", UNREAD, "operator")).toBe(false);
    expect(drawnAgain("enrollment", UNREAD, "viewer")).toBe(true);
    // Every other page follows the role mark: its controls and words are shown or hidden by style.css.
    for (const page of ["", "jobs", "fleet", "budget", "routing", "lessons", "alerts"])
      for (const [was, role] of [
        ["", "viewer"],
        [UNREAD, "operator"],
        [UNREAD, "viewer"],
        [PENDING, "admin"],
      ])
        expect(drawnAgain(page, was, role), `${page}: ${was} → ${role}`).toBe(false);
  });

  it("is followed by every page that sends a write: its controls carry data-needs", () => {
    const writers = readdirSync(DIR)
      .filter((f) => f.endsWith(".js") && !READS_BY_POST.has(f))
      .filter((f) => /"(POST|PUT|PATCH|DELETE)"/.test(readFileSync(path.join(DIR, f), "utf8")));
    expect(writers.length).toBeGreaterThan(8);
    // Marked in the page's own file, or in a module of it that draws its controls (lessons.js: lesson-form, -rows), or
    // — a write split out of its page (dead-letter-redrive.js, lesson-add.js) — in the page that imports it.
    const marks = (f: string) => readFileSync(path.join(DIR, f), "utf8").includes('"data-needs"');
    const drawnBy = (f: string) =>
      [...readFileSync(path.join(DIR, f), "utf8").matchAll(/from "\.\/([\w-]+\.js)"/g)].map((m) => m[1]!);
    const stem = (f: string) => f.replace(/s?\.js$/, "");
    const pageOf = (f: string) =>
      readdirSync(DIR).filter((p) => p.endsWith(".js") && f.startsWith(stem(p)) && drawnBy(p).includes(f));
    const marked = (f: string) => marks(f) || drawnBy(f).some((m) => m.startsWith(stem(f)) && marks(m));
    const unmarked = writers.filter((f) => !marked(f) && !pageOf(f).some(marked));
    expect(unmarked).toEqual([]);
  });
});
