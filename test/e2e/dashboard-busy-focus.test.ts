// A button pressed with the keyboard keeps keyboard focus while its request is out, on every kind of page, in Debian
// Chromium against the real local server (the request held by page.route until the test lets it go): pages greyed
// the button out with `disabled`, which drops focus to <body> — a keyboard or screen-reader user lost their place
// for as long as the request took. Now it is `aria-disabled` (dashboard/busy.js): focus stays on it, it reads as
// unavailable, and a second Enter sends nothing (app.js drops presses of a busy button, a form's submit included).
// Covered: a form's submit (Settings' Save, a lesson's Add, New code), a plain button (the budget's Pause, a rule's
// Remove, the job page's Cancel) and a read (the dead letters' Refresh).
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { holdRequests, launchChromium, newPage, signIn } from "./chromium.ts";
import { hasFocus } from "./dashboard-session.ts";
import { ADMIN, adminApi, type Harness, startHarness } from "./harness.ts";

const PRODUCT = "busy-focus";
/** A server answer on a busy two-core machine; never a delay. */
const SOON = { timeout: 30_000 };

/** The requests the page has started with `method` to a path ending in `suffix`, counted as fetch is called. */
const started = (page: Page, method: string, suffix: string) =>
  page.evaluate<number>(
    `(window.__sent ?? []).filter((r) => r.startsWith(${JSON.stringify(`${method} `)}) && r.endsWith(${JSON.stringify(suffix)})).length`,
  );

/** Counts each fetch at its call, before any answer: a second press's request shows here at once. */
const COUNT_FETCHES = `(() => {
  const sent = (window.__sent = []);
  const real = window.fetch.bind(window);
  window.fetch = (input, init) => {
    sent.push(((init && init.method) || "GET").toUpperCase() + " " + new URL(String(input), location.href).pathname);
    return real(input, init);
  };
})()`;

describe("dashboard: a pressed button keeps keyboard focus while its request is out", () => {
  let h: Harness;
  let browser: Browser;
  let ruleId = "";
  let jobId = "";
  const api = adminApi(() => h.url, PRODUCT);

  beforeAll(async () => {
    h = await startHarness();
    const factoryId = (await api<{ factoryId: string }>("POST", "/factories/enroll", { name: "host-1" })).factoryId;
    ruleId = (await api<{ id: string }>("POST", "/routing/rules", { factoryId, effect: "avoid", reason: "flaky" })).id;
    await api("PUT", "/budget", { period: "day", ceilingUsd: 100, onExhausted: "pause" });
    // Needs a GPU no factory has: it stays queued, so Cancel is offered.
    jobId = (await api<{ id: string }>("POST", "/jobs", { manifest: { title: "Waits", requires: ["gpu"] } })).id;
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await h?.close();
  });

  /**
   * Each case: the page, what to do there first (a change to save), the button, and the request it sends.
   * `ready` waits until the page has drawn what the press needs.
   */
  const CASES: {
    name: string;
    hash: () => string;
    button: () => string;
    method: string;
    suffix: () => string;
    ready?: (page: Page) => Promise<void>;
  }[] = [
    {
      name: "Settings' Save (a form's submit)",
      hash: () => "#/settings",
      button: () => "#settings-save",
      method: "PATCH",
      suffix: () => "/settings",
      ready: async (page) => {
        await expect.poll(() => page.locator("#settings-save").isDisabled(), SOON).toBe(false);
        await page.locator("#setting-preemption").click();
      },
    },
    {
      name: "a lesson's Add (a form's submit)",
      hash: () => "#/lessons",
      button: () => "#lesson-add",
      method: "POST",
      suffix: () => "/lessons",
      ready: (page) => page.locator("#lesson-text").fill("Pin the toolchain"),
    },
    {
      name: "New code (a form's submit)",
      hash: () => "#/enrollment",
      button: () => "#code-new",
      method: "POST",
      suffix: () => "/factories/enrollment-codes",
    },
    {
      name: "the budget's Pause",
      hash: () => "#/budget",
      button: () => "#budget-pause",
      method: "POST",
      suffix: () => "/budget/pause",
      ready: (page) => expect.poll(() => page.locator("#budget-pause").isDisabled(), SOON).toBe(false),
    },
    {
      name: "a routing rule's Remove",
      hash: () => "#/routing",
      button: () => `#remove-${ruleId}`,
      method: "DELETE",
      suffix: () => `/routing/rules/${ruleId}`,
    },
    {
      name: "the job page's Cancel",
      hash: () => `#/jobs/${jobId}`,
      button: () => 'button[data-action="cancel"]',
      method: "POST",
      suffix: () => `/jobs/${jobId}/actions/cancel`,
      ready: (page) => expect.poll(() => page.locator('button[data-action="cancel"]').isDisabled(), SOON).toBe(false),
    },
    {
      name: "the dead letters' Refresh (a read)",
      hash: () => "#/dead-letters",
      button: () => "#dead-letters-refresh",
      method: "GET",
      suffix: () => "/dead-letters",
      // Held only from here: the page's own first read is answered.
      ready: (page) => page.locator("#dead-letters-rows tr").first().waitFor(SOON),
    },
  ];

  for (const c of CASES) {
    it(`keeps focus on ${c.name}, and a second Enter sends nothing`, async () => {
      const { page, errors, close } = await newPage(browser);
      try {
        page.on("dialog", (d) => void d.accept()); // Cancel asks first
        await page.addInitScript(COUNT_FETCHES);
        await signIn(page, h.url, ADMIN, PRODUCT);
        await page.goto(`${h.url}/${c.hash()}`);
        const button = page.locator(c.button());
        await button.waitFor(SOON);
        await c.ready?.(page);
        const busy = page.locator(`${c.button()}[aria-disabled="true"]`);
        await expect.poll(() => busy.count(), SOON).toBe(0); // the page's own first read is over (Refresh)
        const held = await holdRequests(page, c.method, c.suffix());
        const before = await started(page, c.method, c.suffix()); // the page's own reads (Refresh's GET)
        await button.focus();
        await page.keyboard.press("Enter");
        await expect.poll(() => held.sent(), SOON).toBe(1);
        // Out: still where the keyboard left it — not on <body> — and greyed out (aria-disabled).
        expect(await hasFocus(button)).toBe(true);
        expect(await button.getAttribute("aria-disabled")).toBe("true");
        await page.keyboard.press("Enter");
        expect(await started(page, c.method, c.suffix())).toBe(before + 1);
        expect(await hasFocus(button)).toBe(true);
        held.answer();
        await expect.poll(() => busy.count(), SOON).toBe(0); // answered (a removed rule's Remove is gone)
        expect(await started(page, c.method, c.suffix())).toBe(before + 1);
        expect(errors).toEqual([]);
      } finally {
        await close();
      }
    });
  }
});
