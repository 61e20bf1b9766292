// The jobs list, in Debian Chromium against the real local server: keyboard focus on a queued job's link survives
// the list's redraw when that job leaves the list (cancelled elsewhere, so no longer queued) — it goes to the link
// now in its place, and to the page's heading once no job is left — instead of falling to the page's top, where
// Enter pressed nothing and a screen reader started over.
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeContext, launchChromium, newPage, signIn } from "./chromium.ts";
import { onClock } from "./dashboard-session.ts";
import { ADMIN, adminApi, type Harness, startHarness } from "./harness.ts";

const PRODUCT = "jobs-focus-gone";
/** A server answer on a busy two-core machine; never a delay. */
const SOON = { timeout: 15_000 };

describe("dashboard: the jobs list when the focused job leaves it", () => {
  let h: Harness;
  let browser: Browser;
  const ids: string[] = [];
  const api = adminApi(() => h.url, PRODUCT);

  beforeAll(async () => {
    h = await startHarness();
    // No factory: every job stays queued.
    for (const title of ["First", "Second", "Third"])
      ids.push((await api<{ id: string }>("POST", "/jobs", { manifest: { title } })).id);
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await h?.close();
  });

  it("hands focus to the link in the gone job's place, then to the heading", async () => {
    const { context, page, errors } = await newPage(browser);
    await page.clock.install(); // the poller's ticks reached by running the page's clock on (onClock)
    await signIn(page, h.url, ADMIN, PRODUCT);
    await page.goto(`${h.url}/#/jobs?stage=queued`);
    const rows = page.locator("tr[data-job]");
    await expect.poll(() => rows.count(), SOON).toBe(3);
    const order = await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute("data-job")));
    const [, middle, last] = order as [string, string, string];
    await page.locator(`tr[data-job="${middle}"] a`).first().focus();
    const focusedJob = () => page.evaluate("document.activeElement?.closest('tr')?.getAttribute('data-job')");
    expect(await focusedJob()).toBe(middle);

    await api("POST", `/jobs/${middle}/actions/cancel`, { note: "from elsewhere" });
    await expect
      .poll(
        onClock(page, 3_000, () => rows.count()),
        SOON,
      )
      .toBe(2);
    expect(await focusedJob()).toBe(last); // the link now in the middle one's place

    for (const id of ids) if (id !== middle) await api("POST", `/jobs/${id}/actions/cancel`, { note: "done" });
    await expect
      .poll(
        onClock(page, 3_000, () => rows.count()),
        SOON,
      )
      .toBe(0);
    expect(await page.evaluate("document.activeElement?.id")).toBe("jobs-title");
    expect(errors).toEqual([]);
    await closeContext(context);
  });
});
