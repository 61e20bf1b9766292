// The dashboard's stylesheet lays out what its scripts build: `.row` (the budget's set form and Pause/Resume,
// Settings' Save, a breaker's Release) is a wrapping flex row whose inputs are not full width, and a bare `.card`
// (the alerts and budget pages, "Add a lesson") has a padding — before, `.row` had no rule at all and the budget
// form's labels, selects and a full-width input ran together, and those cards had their text against their border.
// A checkbox is as wide as itself, beside its words: `input { width: 100% }` drew the sign-in form's "keep me signed
// in as admin" box centred on a line of its own above its label.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { dashboardCss } from "./dashboard-css.ts";

const DIR = path.resolve(import.meta.dirname, "../../dashboard");
const css = dashboardCss();

/** The declarations of every rule whose selector list names exactly `selector`. */
function declarations(selector: string): string {
  const out: string[] = [];
  for (const m of css.matchAll(/([^{}]+)\{([^{}]*)\}/g)) {
    const selectors = m[1]!.split(",").map((s) => s.trim());
    if (selectors.includes(selector)) out.push(m[2]!);
  }
  return out.join(";");
}

/** Files of the dashboard whose elements carry `cls` in a literal `class: "…"`. */
function usersOf(cls: string): string[] {
  return readdirSync(DIR)
    .filter((f) => f.endsWith(".js"))
    .filter((f) =>
      [...readFileSync(path.join(DIR, f), "utf8").matchAll(/class: "([^"]*)"/g)].some((m) =>
        m[1]!.split(/\s+/).includes(cls),
      ),
    );
}

describe("dashboard/style.css", () => {
  it("lays out a .row of controls side by side, wrapping, inputs not full width", () => {
    expect(usersOf("row").length).toBeGreaterThan(0);
    expect(declarations(".row")).toMatch(/display:\s*flex/);
    expect(declarations(".row")).toMatch(/flex-wrap:\s*wrap/);
    expect(declarations(".row input")).toMatch(/width:\s*auto/);
  });

  it("gives a bare .card a padding of its own", () => {
    expect(usersOf("card")).toEqual(expect.arrayContaining(["alerts.js", "budget.js", "lesson-form.js"]));
    expect(declarations(".card")).toMatch(/padding:/);
  });

  it("draws a checkbox as wide as itself, beside its label's words", () => {
    expect(declarations("input")).toMatch(/width:\s*100%/); // why a checkbox needs a rule of its own
    expect(declarations('input[type="checkbox"]')).toMatch(/width:\s*auto/);
    expect(declarations("label.check")).toMatch(/display:\s*flex/);
    expect(readFileSync(path.join(DIR, "signin.js"), "utf8")).toMatch(/for: "remember-admin", class: "check"/);
  });
});
