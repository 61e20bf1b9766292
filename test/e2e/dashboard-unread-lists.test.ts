// A list page whose first read fails, in Debian Chromium against the real local server (the failure served by
// page.route: a 503 with no Retry-After): the dead letters table and the routing page's recommendations said
// "Loading…" for as long as the line above them said the read had failed. They say the list is not read, and the
// list is drawn once a read works (Refresh on the dead letters page, the next poll on the routing page). A fleet page
// read once whose re-reads then fail kept its cards as they were, heartbeat ages growing, with no word that the list
// was old: it says since when it is, until a read works again. A dead letter redriven while the list's re-read then
// fails is taken off the list (it stayed, its Redrive armed, and a second press was refused "not found").
import type { Page, Route } from "playwright-core";
import { describe, expect, it } from "vitest";
import { newPage, signIn } from "./chromium.ts";
import { dashboardSuite, onClock } from "./dashboard-session.ts";

const PRODUCT = "unread-lists";
/** A server answer or a page's draw on a busy two-core machine; never a delay. */
const SOON = { timeout: 30_000 };

describe("dashboard: a list whose first read fails", () => {
  const suite = dashboardSuite(PRODUCT, { tokens: true });

  /** Refuse the page's GETs of paths ending in `suffix` (503, no Retry-After) while `refusing.on`. */
  async function refuse(page: Page, suffix: string) {
    const refusing = { on: true, refused: 0 };
    await page.route(
      (u) => u.pathname.endsWith(suffix),
      (route: Route) => {
        if (!refusing.on || route.request().method() !== "GET") return route.continue();
        refusing.refused++;
        return route.fulfill({
          status: 503,
          contentType: "application/problem+json",
          json: { type: "about:blank", title: "Unavailable", detail: "store down", code: "unavailable" },
        });
      },
    );
    return refusing;
  }

  it("says the dead letters are not read, not Loading…, and lists them once Refresh reads them", async () => {
    const { page, errors, close } = await newPage(suite.browser);
    const refusing = await refuse(page, "/dead-letters");
    await signIn(page, suite.h.url, suite.tokens.operator, PRODUCT);
    await page.goto(`${suite.h.url}/#/dead-letters`);
    const status = page.locator("#dead-letters-status");
    await expect.poll(() => status.textContent(), SOON).toMatch(/^Cannot load dead letters: Unavailable — store down/);
    expect(await page.locator("#dead-letters-rows").textContent()).toBe(
      "Not read: the line above says why. Refresh reads the list again.",
    );
    refusing.on = false;
    await page.locator("#dead-letters-refresh").click();
    await expect.poll(() => page.locator("#dead-letters-empty").count(), SOON).toBe(1);
    expect(await status.textContent()).toBe("");
    expect(errors).toEqual([]);
    await close();
  });

  it("takes a redriven dead letter off the list even when reading the list again fails", async () => {
    const { page, errors, close } = await newPage(suite.browser);
    // Stand-ins: one history dead letter (the real list is empty), a redrive that works, then list reads that fail.
    const letter = {
      id: "dl-1",
      productId: PRODUCT,
      source: "queue:history",
      reason: "x",
      attempts: 5,
      at: Date.now(),
    };
    let listed = 0;
    await page.route(
      (u) => u.pathname.endsWith("/dead-letters"),
      (route: Route) =>
        listed++ === 0
          ? route.fulfill({ status: 200, json: { items: [{ ...letter, body: { kind: "history", records: [] } }] } })
          : route.fulfill({
              status: 503,
              contentType: "application/problem+json",
              json: { type: "about:blank", title: "Unavailable", detail: "store down", code: "unavailable" },
            }),
    );
    await page.route(
      (u) => u.pathname.endsWith("/dead-letters/dl-1/redrive"),
      (route: Route) =>
        route.fulfill({ status: 200, json: { id: "dl-1", source: "queue:history", queue: "history", redriven: true } }),
    );
    await signIn(page, suite.h.url, suite.tokens.operator, PRODUCT);
    await page.goto(`${suite.h.url}/#/dead-letters`);
    const redrive = page.locator('[data-testid="dead-letter-redrive"]');
    await expect.poll(() => redrive.count(), SOON).toBe(1);
    await redrive.focus();
    await page.keyboard.press("Enter");
    const status = page.locator("#dead-letters-status");
    await expect.poll(() => status.textContent(), SOON).toMatch(/^Redriven dl-1: sent back to the history queue/);
    await expect.poll(() => listed, SOON).toBe(2); // the list was read again, and that read failed
    expect(await page.locator('[data-testid="dead-letter-row"]').count()).toBe(0);
    expect(await page.locator("#dead-letters-empty").count()).toBe(1);
    expect(await page.evaluate("document.activeElement?.id")).toBe("dead-letters-status");
    expect(errors).toEqual([]);
    await close();
  });

  it("says the fleet is not current while re-reading it fails, and stops once a read works", async () => {
    const { page, errors, close } = await newPage(suite.browser);
    await page.clock.install();
    await signIn(page, suite.h.url, suite.tokens.operator, PRODUCT);
    await page.goto(`${suite.h.url}/#/fleet`);
    await expect.poll(() => page.locator("#fleet-summary").textContent(), SOON).toMatch(/^\d+ factor/);
    const stale = page.locator("#fleet-stale");
    expect(await stale.isVisible()).toBe(false);
    const refusing = await refuse(page, "/queue-state");
    await expect.poll(() => stale.isVisible(), SOON).toBe(true);
    expect(await stale.textContent()).toMatch(
      /^Not current: the list was read at .+, and reading it again failed: Unavail/,
    );
    refusing.on = false;
    await expect
      .poll(
        onClock(page, 30_000, () => stale.isVisible()),
        SOON,
      )
      .toBe(false);
    expect(errors).toEqual([]);
    await close();
  });

  it("says the routing recommendations are not read, not Loading…, and draws them on the next poll that works", async () => {
    const { page, errors, close } = await newPage(suite.browser);
    const refusing = await refuse(page, "/routing/recommendations");
    await page.clock.install();
    await signIn(page, suite.h.url, suite.tokens.operator, PRODUCT);
    await page.goto(`${suite.h.url}/#/routing`);
    await expect.poll(() => page.locator("#routing-status").textContent(), SOON).toMatch(/^Cannot load routing: /);
    expect(await page.locator("#routing-recs").textContent()).toMatch(/^Not read yet/);
    refusing.on = false;
    const recs = () => page.locator("#routing-recs").textContent();
    await expect.poll(onClock(page, 11_000, recs), SOON).toMatch(/^No recommendations/);
    expect(errors).toEqual([]);
    await close();
  });
});
