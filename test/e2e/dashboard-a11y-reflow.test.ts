// The dashboard reflows to 320 CSS px — a phone, or 1280 × 1024 at 400 % zoom (WCAG 1.4.10) — in real Chromium: on
// the sign-in form (with its longest refusal shown) and on every page, signed in to a product whose name is the
// longest allowed (63 characters, no break), the page never scrolls sideways (documentElement.scrollWidth ≤
// innerWidth; a data table scrolls in its own box) and nothing sticks out past either edge except inside such a box.
// Tabbing through the header and a page, every stop has a visible focus ring and sits inside the screen. The
// product's pill pushed Sign out off the right edge: every page scrolled 158 px sideways.
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { launchChromium, newPage } from "./chromium.ts";
import { dashboardSuite, signedInPage } from "./dashboard-session.ts";
import { ADMIN, adminApi } from "./harness.ts";

/** The longest product name the coordinator takes: 63 characters with nowhere to break but one hyphen. */
const PRODUCT = `reflow-${"x".repeat(56)}`;
/** 1280 × 1024 at 400 % zoom, in CSS px. */
const VIEWPORT = { width: 320, height: 256 };
/** A server answer or a page's draw on a busy two-core machine; never a delay. */
const SOON = { timeout: 30_000 };

/** What sticks out of the screen sideways and is not inside a box that scrolls (or clips) on its own. */
const OUTSIDE = `(() => {
  const inBox = (el) => {
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement)
      if (["auto", "scroll", "hidden"].includes(getComputedStyle(p).overflowX)) return true;
    return false;
  };
  const out = [];
  for (const el of document.body.querySelectorAll("*")) {
    const r = el.getBoundingClientRect();
    if ((r.width === 0 && r.height === 0) || el.closest(".skip, .sr-only") || inBox(el)) continue;
    if (r.right > innerWidth + 0.5 || r.left < -0.5) out.push(el.tagName + (el.id ? "#" + el.id : "") + " " + Math.round(r.left) + ".." + Math.round(r.right));
  }
  return { scrollWidth: document.documentElement.scrollWidth, innerWidth, out: out.slice(0, 5) };
})()`;

/** The element keyboard focus is on: whether its focus ring shows and where it is. */
const FOCUS = `(() => {
  const el = document.activeElement;
  if (!el || el === document.body) return { at: "BODY", ring: true, inside: true };
  const cs = getComputedStyle(el);
  const r = el.getBoundingClientRect();
  return {
    at: el.tagName + (el.id ? "#" + el.id : "") + " " + (el.getAttribute("aria-label") || el.textContent || "").trim().slice(0, 30),
    ring: (cs.outlineStyle !== "none" && parseFloat(cs.outlineWidth) > 0) || cs.boxShadow !== "none",
    inside: r.left >= -0.5 && r.right <= innerWidth + 0.5,
  };
})()`;

/** The page's sideways overflow: none expected. */
async function fits(page: Page, where: string) {
  const seen = (await page.evaluate(OUTSIDE)) as { scrollWidth: number; innerWidth: number; out: string[] };
  expect({ where, ...seen }).toEqual({ where, scrollWidth: seen.innerWidth, innerWidth: VIEWPORT.width, out: [] });
}

describe("dashboard at 320 px (400 % zoom)", () => {
  const suite = dashboardSuite(PRODUCT, { createProduct: true });
  const api = adminApi(() => suite.h.url, PRODUCT);

  it("fits the sign-in form with its longest refusal", async () => {
    const browser = await launchChromium();
    const { page, errors, close } = await newPage(browser, VIEWPORT.width);
    await page.setViewportSize(VIEWPORT);
    await page.goto(`${suite.h.url}/`);
    await page.getByLabel("Token").fill("gf_someproduct_short");
    await page.getByLabel("Product").fill(PRODUCT);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect.poll(() => page.locator("#signin-error").textContent(), SOON).toMatch(/^Not sent/);
    await fits(page, "sign-in");
    expect(errors).toEqual([]);
    await close();
    await browser.close();
  });

  it("fits every page, and every keyboard stop shows its focus ring on screen", async () => {
    const job = await api<{ id: string }>("POST", "/jobs", { manifest: { title: "Reflow", requires: ["gpu"] } });
    const { page, errors, close } = await signedInPage(suite, ADMIN, PRODUCT, VIEWPORT);
    const pages = ["jobs", `jobs/${job.id}`, "fleet", "enrollment", "dead-letters", "alerts", "settings", "budget"];
    for (const route of [...pages, "lessons", "routing"]) {
      await page.goto(`${suite.h.url}/#/${route}`);
      await page.locator("main h1").first().waitFor(SOON);
      await fits(page, route);
    }
    for (const route of ["jobs", "settings"]) {
      await page.goto(`${suite.h.url}/#/${route}`);
      await page.locator("main h1").first().waitFor(SOON);
      await page.evaluate("document.activeElement?.blur(); window.scrollTo(0, 0)");
      const stops = [];
      for (let i = 0; i < 30; i++) {
        await page.keyboard.press("Tab");
        stops.push(await page.evaluate(FOCUS));
      }
      const bad = (stops as Array<{ at: string; ring: boolean; inside: boolean }>).filter((s) => !s.ring || !s.inside);
      expect({ route, bad }).toEqual({ route, bad: [] });
      await fits(page, `${route} after tabbing`);
    }
    expect(errors).toEqual([]);
    await close();
  });
});
