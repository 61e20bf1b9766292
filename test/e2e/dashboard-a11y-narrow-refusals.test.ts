// In real Chromium: at 320 px (and so at 200 % zoom, where every width is under 640 px) the jobs table shows its
// Priority, Attempt and Factory columns, scrolled to inside the table's own box, while the page never scrolls
// sideways — they were hidden there — and a keyboard reaches that box (a tab stop, its focus ring drawn) and scrolls
// it there. A coordinator's refusal of a box — New code's seats past 64, a setting past its
// bound, a budget ceiling under a cent — is tied to that box as the forms' own refusals are: aria-invalid, described by
// the refusal's line, focused (it was only said in the line). A refused seat limit on a Fleet card stays marked, with
// what was typed, across the poll's redraw of the card until it is edited (the redraw dropped the mark); one being
// typed in keeps its caret where it was through that redraw (a digit typed after it went last), and the refusal's
// words go when the box, kept through the redraw, is edited (they stayed on the card).
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import {
  dashboardSuite,
  description,
  expectRefused,
  hasFocus,
  signedInPage,
  untilFleetRedrawn,
} from "./dashboard-session.ts";
import { ADMIN, adminApi } from "./harness.ts";

const PRODUCT = "a11y-narrow-refusals";
/** A server answer or a page's draw on a busy two-core machine; never a delay. */
const SOON = { timeout: 30_000 };
/** 1280 × 1024 at 400 % zoom, in CSS px. */
const NARROW = { width: 320, height: 640 };

/**
 * A look for untilFleetRedrawn: whether factory `id`'s card has been drawn anew since the first look (its Set seat
 * limit button is another element) — not its seat box, which is kept while typed in (dashboard/kept-box.js).
 */
const setButtonRedrawn = (page: Page, id: string) => {
  const button = JSON.stringify(`grant-seats-set-${id}`);
  let marked = false;
  return async () => {
    if (!marked) {
      await page.evaluate(`globalThis.setButton = document.getElementById(${button})`);
      marked = true;
      return false;
    }
    return page.evaluate<boolean>(`document.getElementById(${button}) !== globalThis.setButton`);
  };
};

describe("dashboard: narrow columns shown, refusals tied to their box and kept", () => {
  const suite = dashboardSuite(PRODUCT, { createProduct: true });
  const api = adminApi(() => suite.h.url, PRODUCT);

  it("shows Priority, Attempt and Factory at 320 px inside the table's box, the page not scrolling sideways", async () => {
    await api("POST", "/jobs", { manifest: { title: "Narrow", requires: ["gpu"], priority: "high" } });
    const { page, errors, close } = await signedInPage(suite, ADMIN, PRODUCT, NARROW);
    await page.goto(`${suite.h.url}/#/jobs`);
    const row = page.locator("table.jobs tbody tr[data-job]").first();
    await row.waitFor(SOON);
    const headers = await page.locator("table.jobs thead th").allTextContents();
    expect(headers).toEqual(["Title", "Stage", "Priority", "Attempt", "Factory", "Updated"]);
    const factory = row.locator("td").nth(4);
    await factory.scrollIntoViewIfNeeded();
    expect(await factory.isVisible()).toBe(true);
    expect(await row.locator("td").nth(2).textContent()).toBe("high");
    expect(await row.locator("td").nth(3).textContent()).toMatch(/^0 \/ \d+$/);
    const seen = (await page.evaluate(`({
      page: document.documentElement.scrollWidth,
      innerWidth,
      box: document.querySelector("table.jobs").parentElement.scrollLeft,
    })`)) as { page: number; innerWidth: number; box: number };
    expect(seen.page).toBe(seen.innerWidth); // the table's own box scrolled, not the page
    expect(seen.box).toBeGreaterThan(0);
    expect(errors).toEqual([]);
    await close();
  });

  // The table's box scrolls sideways at 320 px: a pointer could, a keyboard could not — Tab passed it by (it was no
  // tab stop) and arrows on a title's link moved nothing a reader could follow to Factory.
  it("lets a keyboard reach the jobs table's box at 320 px and scroll it sideways, its focus ring drawn", async () => {
    await api("POST", "/jobs", { manifest: { title: "Keyboard", requires: ["gpu"] } });
    const { page, errors, close } = await signedInPage(suite, ADMIN, PRODUCT, NARROW);
    await page.goto(`${suite.h.url}/#/jobs`);
    await page.locator("table.jobs tbody tr[data-job]").first().waitFor(SOON);
    const box = page.getByRole("region", { name: "Jobs table" });
    await page.locator("nav.filters a").last().focus();
    await page.keyboard.press("Tab");
    await expect.poll(() => hasFocus(box), SOON).toBe(true);
    // The ring :focus-visible draws (style.css), not the browser's default focus style (which a box may hide).
    const ring = `getComputedStyle(document.querySelector("table.jobs").parentElement).outlineStyle`;
    expect(await page.evaluate(ring)).toBe("solid");
    await page.keyboard.press("ArrowRight");
    await expect.poll(() => box.evaluate((el) => el.scrollLeft), SOON).toBeGreaterThan(0);
    expect(await page.evaluate("document.documentElement.scrollWidth === innerWidth")).toBe(true);
    expect(errors).toEqual([]);
    await close();
  });

  it("ties the coordinator's refusal of New code's seats, a setting and a ceiling to their box", async () => {
    const { page, errors, close } = await signedInPage(suite, ADMIN, PRODUCT, NARROW);
    await page.goto(`${suite.h.url}/#/enrollment`);
    const seats = page.locator("#code-new-seats");
    await seats.fill("99");
    await page.getByRole("button", { name: "New code" }).click();
    await expectRefused(seats, /^Not created.*seats/);
    expect(await page.locator("#code-new-name").getAttribute("aria-invalid")).toBeNull();
    await seats.fill("2");
    expect(await seats.getAttribute("aria-invalid")).toBeNull();

    await page.goto(`${suite.h.url}/#/settings`);
    const ttl = page.getByLabel("Lease TTL (s)");
    const save = page.getByRole("button", { name: "Save" });
    await expect.poll(() => save.isEnabled(), SOON).toBe(true);
    await ttl.fill("999999");
    await save.click();
    await expectRefused(ttl, /Not saved: .*leaseTtlSeconds/);

    await page.goto(`${suite.h.url}/#/budget`);
    const ceiling = page.getByLabel("Ceiling (USD)");
    await ceiling.waitFor(SOON);
    await ceiling.fill("0.001");
    await page.getByRole("button", { name: "Set budget" }).click();
    await expectRefused(ceiling, /ceilingUsd/);
    expect(errors).toEqual([]);
    await close();
  });

  it("keeps a refused seat limit marked across the Fleet card's redraw until it is edited", async () => {
    const f = await api<{ factoryId: string }>("POST", "/factories/enroll", { name: "box-seats", seats: 2 });
    const { page, errors, close } = await signedInPage(suite, ADMIN, PRODUCT, {
      ...NARROW,
      route: (p) => p.clock.install(),
    });
    await page.goto(`${suite.h.url}/#/fleet`);
    const id = `grant-seats-${f.factoryId}`;
    const seats = page.locator(`#${id}`);
    await seats.waitFor(SOON);
    await seats.fill("0");
    await seats.press("Enter");
    await expectRefused(seats, /whole number from 1 to 64/);
    // The poller re-reads the fleet (every 15 s) and the card is drawn anew (its Set button a new one); the box,
    // focused, is kept (kept-box.js). Its mark is kept the same way when the card is redrawn with focus elsewhere.
    await untilFleetRedrawn(page, setButtonRedrawn(page, f.factoryId));
    expect(await seats.inputValue()).toBe("0");
    await expectRefused(seats, /whole number from 1 to 64/);
    await page.locator("#fleet-title").click(); // focus off the box: the next redraw draws it anew
    await untilFleetRedrawn(page, setButtonRedrawn(page, f.factoryId));
    expect(await seats.inputValue()).toBe("0");
    expect(await seats.getAttribute("aria-invalid")).toBe("true");
    expect(await description(seats)).toMatch(/whole number from 1 to 64/);
    await seats.fill("3");
    expect(await seats.getAttribute("aria-invalid")).toBeNull();
    expect(await description(seats)).toBe("");
    expect(errors).toEqual([]);
    await close();
  });

  // The refused box keeps focus (field-error.js), so the next redraw keeps that very box (kept-box.js) while the
  // card's status line is drawn anew: edited then, the box's refusal cleared the line it was refused on — the one
  // gone from the page — and the words stayed on the card under a box no longer refused.
  it("clears a refused seat limit's words when the box is edited after the Fleet card's redraw", async () => {
    const f = await api<{ factoryId: string }>("POST", "/factories/enroll", { name: "box-words", seats: 2 });
    const { page, errors, close } = await signedInPage(suite, ADMIN, PRODUCT, { route: (p) => p.clock.install() });
    await page.goto(`${suite.h.url}/#/fleet`);
    const seats = page.locator(`#grant-seats-${f.factoryId}`);
    const line = page.locator(`#grant-status-${f.factoryId}`);
    await seats.waitFor(SOON);
    await seats.fill("0");
    await seats.press("Enter");
    await expectRefused(seats, /whole number from 1 to 64/);
    await untilFleetRedrawn(page, setButtonRedrawn(page, f.factoryId));
    await expectRefused(seats, /whole number from 1 to 64/); // focused still: the box kept
    await page.keyboard.press("Backspace");
    await page.keyboard.type("3");
    expect(await seats.getAttribute("aria-invalid")).toBeNull();
    expect(await line.textContent()).toBe("");
    expect(errors).toEqual([]);
    await close();
  });

  // A redraw drew the seat limit's box anew with the typed value put back and focus moved to it, but the caret at
  // the end: a digit typed mid-number after it went last.
  it("keeps the caret where it was in a seat limit being typed through the Fleet card's redraw", async () => {
    const f = await api<{ factoryId: string }>("POST", "/factories/enroll", { name: "box-caret", seats: 8 });
    const { page, errors, close } = await signedInPage(suite, ADMIN, PRODUCT, { route: (p) => p.clock.install() });
    await page.goto(`${suite.h.url}/#/fleet`);
    const seats = page.locator(`#grant-seats-${f.factoryId}`);
    await seats.waitFor(SOON);
    await seats.focus();
    await page.keyboard.press("Control+A");
    await page.keyboard.type("12");
    await page.keyboard.press("ArrowLeft"); // the caret between 1 and 2
    await untilFleetRedrawn(page, setButtonRedrawn(page, f.factoryId));
    await page.keyboard.type("3");
    expect(await seats.inputValue()).toBe("132");
    expect(await hasFocus(seats)).toBe(true);
    // The Set button drawn anew reads the box on the page, the one kept: 132 is refused, not the 12 drawn with it.
    await page.getByRole("button", { name: "Set seat limit of box-caret", exact: true }).click();
    await expectRefused(seats, /whole number from 1 to 64/);
    expect(errors).toEqual([]);
    await close();
  });
});
