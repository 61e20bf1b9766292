// The budget page's set form keeps what the operator changed while the page polls, in Debian Chromium against the
// real local server: a mode chosen (stop) and a ceiling typed and tabbed away from survive a poll that redraws the
// page (an operator's pause made through the API), and Set budget sends them. Every 5 s poll wrote the server's
// period, ceiling and mode back into the form, so the save sent the old values back and still said "Budget saved."
// — an operator who chose `stop` kept `pause`, and one who lowered the ceiling kept the old one. Once saved, the
// form follows the server again. A product with no budget is said to have none with no failed request (budget.js
// asks the metrics document first: GET …/budget's 404 was logged by Chrome on every visit). The page's polls write
// nothing over what the operator reads: the set form's refusal stays on the status line (and the box's description)
// through the polls of a product with no budget, "No budget is set…" and a failed read are each said once, not
// written again at every poll (a live region says a rewrite again), and the note goes once a budget is read; a failed
// read is said on a line of its own beside the refusal, never over it (the box's description read the failure), and
// the refusal goes once the box it is about is edited (it stayed, on every page with a form), and its marks go once
// the line says an action's outcome (the box was described by "Paused: …"), and the failed read's line goes once Set
// budget answers with the budget; "Budget saved." stays through a failed poll, said beside it until a poll works
// (the poll wrote over it, and the next one cleared the line), and it or "Paused: …" goes once a poll finds it undone
// elsewhere; Pause greyed out by a poll that finds the budget paused elsewhere hands its keyboard focus to Resume.
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeContext, launchChromium, newPage, signIn } from "./chromium.ts";
import { expectRefused, onClock } from "./dashboard-session.ts";
import { ADMIN, adminApi, createProduct, type Harness, startHarness } from "./harness.ts";

const PRODUCT = "budget-form";
/** A server answer or the page's next poll on a busy two-core machine; never a delay. */
const SOON = { timeout: 20_000 };

interface Budget {
  period: string;
  ceilingUsd: number;
  onExhausted: string;
  state: string;
}

/**
 * Pauses the page's clock 10 ms past where it is read to be. The installed clock runs on meanwhile: on a loaded
 * machine it had passed that moment when pauseAt came ("Cannot fast-forward to the past"), so the moment is read again.
 */
async function pauseHere(page: Page): Promise<void> {
  for (let tries = 1; ; tries++) {
    try {
      return await page.clock.pauseAt((await page.evaluate<number>("Date.now()")) + 10);
    } catch (err) {
      if (tries >= 5 || !String(err).includes("fast-forward to the past")) throw err;
    }
  }
}

/** Every GET of the budget answered 500 until the returned function: the page's polls fail, its writes go through. */
async function failBudgetReads(page: Page): Promise<() => Promise<void>> {
  const failing = (u: URL) => u.pathname.endsWith("/budget");
  await page.route(failing, (route) =>
    route.request().method() === "GET"
      ? route.fulfill({ status: 500, contentType: "application/problem+json", body: '{"code":"internal"}' })
      : route.fallback(),
  );
  return () => page.unroute(failing);
}

describe("dashboard: the budget page's set form under its polls", () => {
  let h: Harness;
  let browser: Browser;
  const api = adminApi(() => h.url, PRODUCT);

  beforeAll(async () => {
    h = await startHarness();
    await api("PUT", "/budget", { period: "day", ceilingUsd: 100, onExhausted: "pause" });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await h?.close();
  });

  it("keeps the operator's draft through a poll and saves it; then follows the server again", async () => {
    const { context, page, errors } = await newPage(browser);
    await page.clock.install(); // the page's next poll (every 5 s) reached by running its clock on (onClock)
    await signIn(page, h.url, ADMIN, PRODUCT);
    await page.goto(`${h.url}/#/budget`);
    const state = page.locator("[data-testid=budget-state]");
    const ceiling = page.locator("#budget-set-ceiling");
    const mode = page.locator("#budget-set-mode");
    const period = page.locator("#budget-set-period");
    await expect.poll(() => state.getAttribute("data-state"), SOON).toBe("ok");
    expect(await ceiling.inputValue()).toBe("100");

    // The operator's draft: a week, stop, $10 — the ceiling typed, then focus moved on (to the mode).
    await period.selectOption("week");
    await ceiling.fill("10");
    await mode.focus();
    await mode.selectOption("stop");
    // Something changes on the server; the page's next poll draws it.
    await api("POST", "/budget/pause");
    await expect
      .poll(
        onClock(page, 5_000, () => state.getAttribute("data-state")),
        SOON,
      )
      .toBe("paused");
    expect([await period.inputValue(), await ceiling.inputValue(), await mode.inputValue()]).toEqual([
      "week",
      "10",
      "stop",
    ]);

    await page.locator("#budget-save").click();
    await expect.poll(() => page.locator("[data-testid=budget-status]").textContent(), SOON).toBe("Budget saved.");
    expect(await api<Budget>("GET", "/budget")).toMatchObject({ period: "week", ceilingUsd: 10, onExhausted: "stop" });

    // Saved: the form follows the server again — another operator's change reaches it at the next poll.
    await api("PUT", "/budget", { period: "month", ceilingUsd: 40, onExhausted: "pause" });
    await expect
      .poll(
        onClock(page, 5_000, () => ceiling.inputValue()),
        SOON,
      )
      .toBe("40");
    expect([await period.inputValue(), await mode.inputValue()]).toEqual(["month", "pause"]);

    expect(errors).toEqual([]);
    await closeContext(context);
  });

  // Pause and Resume pressed with the keyboard: greyed out while out, the button dropped focus to <body> for good —
  // the next Tab or screen-reader line started from the page's top. Focus goes to the outcome line when the answer
  // leaves the button greyed out (Pause once paused, Resume once running).
  it("keeps keyboard focus on the outcome after Pause and Resume pressed with Enter", async () => {
    await api("POST", "/budget/resume"); // the first test left an operator's pause
    const { context, page, errors } = await newPage(browser);
    await signIn(page, h.url, ADMIN, PRODUCT);
    await page.goto(`${h.url}/#/budget`);
    const status = page.locator("[data-testid=budget-status]");
    const focused = () => page.evaluate('document.activeElement?.getAttribute("data-testid") ?? "none"');
    const running = page.locator("#budget-pause");
    await expect.poll(() => running.isEnabled(), SOON).toBe(true);
    await running.focus();
    await page.keyboard.press("Enter");
    await expect.poll(() => status.textContent(), SOON).toContain("Paused");
    await expect.poll(focused, SOON).toBe("budget-status");
    await page.locator("#budget-resume").focus();
    await page.keyboard.press("Enter");
    await expect.poll(() => status.textContent(), SOON).toContain("Resumed");
    await expect.poll(focused, SOON).toBe("budget-status");
    expect(errors).toEqual([]);
    await closeContext(context);
  });

  // A poll that finds the budget paused elsewhere (the CLI, another tab) greys out Pause: holding focus, it dropped
  // it to <body>. Focus goes to Resume, the button the state now offers.
  it("moves keyboard focus off Pause to Resume when a poll finds the budget paused elsewhere", async () => {
    await api("POST", "/budget/resume").catch(() => undefined); // running, whatever the tests before left
    const { context, page, errors } = await newPage(browser);
    await page.clock.install(); // the page's next poll (every 5 s) reached by running its clock on (onClock)
    await signIn(page, h.url, ADMIN, PRODUCT);
    await page.goto(`${h.url}/#/budget`);
    const pause = page.locator("#budget-pause");
    await expect.poll(() => pause.isEnabled(), SOON).toBe(true);
    await pause.focus();
    await api("POST", "/budget/pause");
    await expect
      .poll(
        onClock(page, 5_000, () => pause.isDisabled()),
        SOON,
      )
      .toBe(true);
    expect(await page.evaluate('document.activeElement?.getAttribute("data-testid") ?? "none"')).toBe("budget-resume");
    await api("POST", "/budget/resume");
    expect(errors).toEqual([]);
    await closeContext(context);
  });

  // A box is described only by words about it: the ceiling refused, then Pause pressed — the line said "Paused: …"
  // and the ceiling box, still marked invalid, was read "Paused: no new dispatch until resumed." as what was wrong
  // with it (status-text.js showError takes a refusal's marks with its words).
  it("unmarks a refused box once the status line says an action's outcome", async () => {
    await api("POST", "/budget/resume").catch(() => undefined); // running, whatever the tests before left
    const { context, page, errors } = await newPage(browser);
    await signIn(page, h.url, ADMIN, PRODUCT);
    await page.goto(`${h.url}/#/budget`);
    const [status, ceiling, pause] = [
      page.locator("[data-testid=budget-status]"),
      page.locator("#budget-set-ceiling"),
      page.locator("#budget-pause"),
    ];
    await expect.poll(() => pause.isEnabled(), SOON).toBe(true);
    await ceiling.fill("");
    await page.locator("#budget-save").click();
    await expectRefused(ceiling, /^Ceiling: enter a number of dollars$/);
    await pause.click();
    await expect.poll(() => status.textContent(), SOON).toBe("Paused: no new dispatch until resumed.");
    expect(await ceiling.getAttribute("aria-invalid")).toBeNull();
    expect(await ceiling.getAttribute("aria-describedby")).toBeNull();
    await api("POST", "/budget/resume");
    expect(errors).toEqual([]);
    await closeContext(context);
  });

  // A read's failure said beside a refusal (its own line, budget-status-read) stayed after Set budget answered with
  // the budget as it now is: "Budget saved." under "Cannot load the budget: …", until the next poll 5 s on.
  it("drops a failed read's line once Set budget answers with the budget", async () => {
    const { context, page, errors } = await newPage(browser);
    await page.clock.install(); // the page's polls reached by running its clock on (onClock); paused below
    await signIn(page, h.url, ADMIN, PRODUCT);
    await page.goto(`${h.url}/#/budget`);
    const [status, ceiling] = [page.locator("[data-testid=budget-status]"), page.locator("#budget-set-ceiling")];
    const aside = page.locator("[data-testid=budget-status-read]");
    await expect.poll(() => page.locator("#budget-pause").isEnabled(), SOON).toBe(true);
    await ceiling.fill("");
    await page.locator("#budget-save").click();
    await expectRefused(ceiling, /^Ceiling: enter a number of dollars$/);
    const readsWork = await failBudgetReads(page);
    await expect
      .poll(
        onClock(page, 5_000, () => aside.count()),
        SOON,
      )
      .toBe(1);
    await readsWork();
    // Paused where the page's clock is (pauseAt runs the timers it passes): no poll from here, so what clears the
    // line can only be the save's answer.
    await pauseHere(page);
    await ceiling.fill("12");
    await page.locator("#budget-save").click();
    await expect.poll(() => status.textContent(), SOON).toBe("Budget saved.");
    expect(await aside.count()).toBe(0);
    await api("PUT", "/budget", { period: "day", ceilingUsd: 100, onExhausted: "pause" });
    expect(errors).toEqual([]);
    await closeContext(context);
  });

  // An action's answer is not written over by a poll: "Budget saved." became the next poll's "Cannot load the budget:
  // …" 5 s on, and the poll after that, working, cleared the line — the answer was gone before it was read.
  it("keeps 'Budget saved.' through a failed poll, which is said beside it until a poll works", async () => {
    const { context, page, errors } = await newPage(browser);
    await page.clock.install(); // the page's polls reached by running its clock on (onClock)
    await signIn(page, h.url, ADMIN, PRODUCT);
    await page.goto(`${h.url}/#/budget`);
    const [status, ceiling] = [page.locator("[data-testid=budget-status]"), page.locator("#budget-set-ceiling")];
    const aside = page.locator("[data-testid=budget-status-read]");
    await expect.poll(() => page.locator("#budget-pause").isEnabled(), SOON).toBe(true);
    await ceiling.fill("13");
    await page.locator("#budget-save").click();
    await expect.poll(() => status.textContent(), SOON).toBe("Budget saved.");
    const readsWork = await failBudgetReads(page);
    await expect
      .poll(
        onClock(page, 5_000, () => aside.textContent()),
        SOON,
      )
      .toMatch(/^Cannot load the budget: /);
    expect(await status.textContent()).toBe("Budget saved.");
    await readsWork();
    await expect
      .poll(
        onClock(page, 5_000, () => aside.count()),
        SOON,
      )
      .toBe(0);
    expect(await status.textContent()).toBe("Budget saved.");
    await api("PUT", "/budget", { period: "day", ceilingUsd: 100, onExhausted: "pause" });
    expect(errors).toEqual([]);
    await closeContext(context);
  });

  // An answer true only while what it is about holds: "Paused: …" stood beside a badge saying `active` once someone
  // resumed elsewhere, and "Budget saved." beside a ceiling someone else set, until the next action (heldOutcome); a
  // pause leaves the terms saved in force, and "Budget saved." with them.
  it("takes 'Paused: …' and 'Budget saved.' away once a poll finds them undone elsewhere", async () => {
    await api("POST", "/budget/resume").catch(() => undefined); // running, whatever the tests before left
    const { context, page, errors } = await newPage(browser);
    await page.clock.install(); // the page's polls reached by running its clock on (onClock)
    await signIn(page, h.url, ADMIN, PRODUCT);
    await page.goto(`${h.url}/#/budget`);
    const [status, state] = [page.locator("[data-testid=budget-status]"), page.locator("[data-testid=budget-state]")];
    const pause = page.locator("#budget-pause");
    await expect.poll(() => pause.isEnabled(), SOON).toBe(true);
    await pause.click();
    await expect.poll(() => status.textContent(), SOON).toBe("Paused: no new dispatch until resumed.");
    await api("POST", "/budget/resume");
    await expect
      .poll(
        onClock(page, 5_000, () => state.getAttribute("data-state")),
        SOON,
      )
      .not.toBe("paused");
    expect(await status.textContent()).toBe("");
    await page.locator("#budget-set-ceiling").fill("21");
    await page.locator("#budget-save").click();
    await expect.poll(() => status.textContent(), SOON).toBe("Budget saved.");
    // A pause made elsewhere leaves the terms saved in force (as an exhaustion pause does): the answer stays.
    await api("POST", "/budget/pause");
    await expect
      .poll(
        onClock(page, 5_000, () => state.getAttribute("data-state")),
        SOON,
      )
      .toBe("paused");
    expect(await status.textContent()).toBe("Budget saved.");
    await api("POST", "/budget/resume");
    await api("PUT", "/budget", { period: "day", ceilingUsd: 100, onExhausted: "pause" });
    await expect
      .poll(
        onClock(page, 5_000, () => page.locator("[data-testid=budget-ceiling]").textContent()),
        SOON,
      )
      .toMatch(/^\$100/);
    expect(await status.textContent()).toBe("");
    expect(errors).toEqual([]);
    await closeContext(context);
  });

  // An emergency stop needs no ceiling (SPEC §6): with no budget set, Pause and Resume stayed greyed out and the
  // API refused them with not_found. Now they act on an operator's pause alone (settings.budgetPaused).
  it("pauses and resumes dispatch with no budget set, saying the pause in force", async () => {
    const bare = "budget-none-pause";
    await createProduct(h.url, bare);
    const { context, page, errors } = await newPage(browser);
    await signIn(page, h.url, ADMIN, bare);
    await page.goto(`${h.url}/#/budget`);
    const status = page.locator("[data-testid=budget-status]");
    await expect.poll(() => status.textContent(), SOON).toBe("No budget is set for this product: set one below.");
    const pause = page.locator("[data-testid=budget-pause]");
    const resume = page.locator("[data-testid=budget-resume]");
    await expect.poll(() => pause.isEnabled(), SOON).toBe(true);
    expect(await resume.isEnabled()).toBe(false);
    await pause.click();
    await expect.poll(() => status.textContent(), SOON).toBe("Paused: no new dispatch until resumed.");
    const settings = () => adminApi(() => h.url, bare)<{ budgetPaused: boolean }>("GET", "/settings");
    expect((await settings()).budgetPaused).toBe(true);
    expect(await page.locator("[data-testid=budget-next]").textContent()).toBe("Resume lifts the pause.");
    await expect.poll(() => resume.isEnabled(), SOON).toBe(true);
    expect(await pause.isEnabled()).toBe(false);
    await resume.click();
    await expect.poll(() => status.textContent(), SOON).toBe("Resumed: dispatch continues.");
    expect((await settings()).budgetPaused).toBe(false);
    await expect.poll(() => pause.isEnabled(), SOON).toBe(true);
    expect(errors).toEqual([]);
    await closeContext(context);
  });

  // A product with no budget: GET …/budget says so with a 404 (its contract), which Chrome logged as "Failed to load
  // resource" on every visit of the page. The page learns it from the metrics document instead; a budget set
  // elsewhere reaches it at its next poll, and from then on it reads the budget itself.
  it("says a product has no budget without a failed request, and shows one set elsewhere at its next poll", async () => {
    const bare = "budget-none";
    await createProduct(h.url, bare);
    const { context, page, errors } = await newPage(browser);
    const failed: string[] = [];
    page.on("response", (r) => {
      if (r.status() >= 400) failed.push(`${r.status()} ${new URL(r.url()).pathname}`);
    });
    page.on("console", (m) => {
      if (m.type() === "error") errors.push(m.text());
    });
    await page.clock.install(); // the page's next poll (every 5 s) reached by running its clock on (onClock)
    await signIn(page, h.url, ADMIN, bare);
    await page.goto(`${h.url}/#/budget`);
    const status = page.locator("[data-testid=budget-status]");
    await expect.poll(() => status.textContent(), SOON).toBe("No budget is set for this product: set one below.");
    // No "Spent — of — —" above it: the facts line is shown once a budget is read.
    expect(await page.locator(".budget-facts").isVisible()).toBe(false);
    await adminApi(() => h.url, bare)("PUT", "/budget", { period: "day", ceilingUsd: 7, onExhausted: "pause" });
    const state = page.locator("[data-testid=budget-state]");
    await expect
      .poll(
        onClock(page, 5_000, () => state.getAttribute("data-state")),
        SOON,
      )
      .toBe("ok");
    expect(await page.locator("#budget-set-ceiling").inputValue()).toBe("7");
    expect(await status.textContent()).toBe(""); // "No budget is set" is over
    expect(await page.locator(".budget-facts").isVisible()).toBe(true);
    expect(failed).toEqual([]);
    expect(errors).toEqual([]);
    await closeContext(context);
  });

  // The status line is a live region: each write of it is said aloud. A poll wrote "No budget is set…" again every
  // 5 s, and over the form's own refusal, which the ceiling box still named as its description (field-error.js).
  it("keeps the set form's refusal through the polls of a product with no budget, and says each read's news once", async () => {
    const bare = "budget-none-refused";
    await createProduct(h.url, bare);
    const { context, page, errors } = await newPage(browser);
    let reads = 0;
    page.on("requestfinished", (r) => {
      if (new URL(r.url()).pathname.endsWith("/metrics")) reads++;
    });
    await page.clock.install(); // the page's polls (every 5 s) reached by running its clock on (onClock)
    await signIn(page, h.url, ADMIN, bare);
    await page.goto(`${h.url}/#/budget`);
    const status = page.locator("[data-testid=budget-status]");
    const none = "No budget is set for this product: set one below.";
    await expect.poll(() => status.textContent(), SOON).toBe(none);
    // Every change to the line from here on, counted in the page.
    await page.evaluate(`(() => {
      window.writes = 0;
      const count = (changes) => { window.writes += changes.length; };
      const line = document.querySelector("[data-testid=budget-status]");
      new MutationObserver(count).observe(line, { childList: true, characterData: true, subtree: true });
    })()`);
    const writes = () => page.evaluate<number>("window.writes");
    /** Runs the page's clock on until `n` more polls have read the metrics document. */
    const polls = async (n: number) => {
      const until = reads + n;
      await expect
        .poll(
          onClock(page, 5_000, async () => reads >= until),
          SOON,
        )
        .toBe(true);
    };
    await polls(2);
    expect(await writes()).toBe(0); // still none: nothing new to say

    const ceiling = page.locator("#budget-set-ceiling");
    await page.locator("#budget-save").click(); // the ceiling left empty
    await expectRefused(ceiling, /^Ceiling: enter a number of dollars$/);
    await polls(2);
    expect(await status.textContent()).toBe("Ceiling: enter a number of dollars");
    await expectRefused(ceiling, /^Ceiling: enter a number of dollars$/);

    // A read that fails says so once, however many polls fail the same way.
    await page.route(
      (u) => u.pathname.endsWith("/metrics"),
      (route) =>
        route.fulfill({
          status: 500,
          contentType: "application/problem+json",
          body: JSON.stringify({ title: "Internal error", status: 500, detail: "injected", code: "internal" }),
        }),
    );
    // Said on a line of its own: written over the refusal, the box's description read the failure, not the refusal.
    const aside = page.locator("[data-testid=budget-status-read]");
    await expect
      .poll(
        onClock(page, 5_000, () => aside.textContent()),
        SOON,
      )
      .toMatch(/^Cannot load the budget: /);
    expect(await status.textContent()).toBe("Ceiling: enter a number of dollars");
    await expectRefused(ceiling, /^Ceiling: enter a number of dollars$/);
    const before = await writes();
    await polls(2);
    expect(await writes()).toBe(before);
    expect(await aside.textContent()).toMatch(/^Cannot load the budget: /);
    // The read works again: its failure goes; the refusal stays until the box is edited, and then goes too.
    await page.unrouteAll();
    await expect
      .poll(
        onClock(page, 5_000, () => aside.count()),
        SOON,
      )
      .toBe(0);
    expect(await status.textContent()).toBe("Ceiling: enter a number of dollars");
    await ceiling.pressSequentially("5");
    await expect.poll(() => ceiling.getAttribute("aria-invalid"), SOON).toBeNull();
    // The emptied line is a read's again: a poll landing meanwhile (the page's clock runs on) writes its note there
    // (seen under load 11: 'No budget is set…' where '' was expected) — the refusal's words are what must be gone.
    expect(["", "No budget is set for this product: set one below."]).toContain(await status.textContent());
    expect(await ceiling.getAttribute("aria-describedby")).toBeNull();
    expect(errors).toEqual([]);
    await closeContext(context);
  });
});
