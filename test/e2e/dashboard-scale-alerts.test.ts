// The alerts page with hundreds of open alerts, in Debian Chromium against the real local server (the lists served by
// page.route: hundreds of real alerts are slow to make): the panel's redraw every 15 s keeps an alert whose ack is
// still out greyed out, so a second press sends no second ack — the redraw made a new, enabled Ack button for it —
// and keeps keyboard focus on the alert it was on, instead of sending it back to the top of a 300-row page; when that
// alert is gone from the next read (resolved, or acknowledged elsewhere), focus goes to the Ack now in its place, and
// to the panel's heading once no Ack is left — it fell to the page's top.
import type { Browser, Route } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeContext, launchChromium, newPage, signIn } from "./chromium.ts";
import { onClock } from "./dashboard-session.ts";
import { ADMIN, createProduct, type Harness, startHarness } from "./harness.ts";

const PRODUCT = "scale-alerts";
/** A server answer on a busy two-core machine; never a delay. */
const SOON = { timeout: 15_000 };
const ALERTS = 300;

/** An open alert as GET …/alerts answers it, made up for the routed list; newest (highest n) first. */
const alert = (n: number) => ({
  id: `al_${String(n).padStart(12, "0")}`,
  kind: "factory_down",
  subject: `host-${n}`,
  severity: "critical",
  state: "open",
  message: `Factory host-${n} is down`,
  openedAt: 1_700_000_000_000 + n,
});
const OPEN = Array.from({ length: ALERTS }, (_, i) => alert(ALERTS - i));

describe("dashboard: hundreds of open alerts", () => {
  let h: Harness;
  let browser: Browser;

  beforeAll(async () => {
    h = await startHarness();
    await createProduct(h.url, PRODUCT);
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await h?.close();
  });

  it("sends one ack however the panel redraws while it is out, and keeps focus on its alert", async () => {
    const { context, page, errors } = await newPage(browser);
    await page.clock.install(); // the panel's next read reached by running its clock on (onClock), not waited for
    await page.route(
      (u) => u.pathname.endsWith("/alerts"),
      async (route: Route) => {
        const state = new URL(route.request().url()).searchParams.get("state");
        await route.fulfill({ json: { alerts: state === "open" ? OPEN : [] } });
      },
    );
    const acks: Route[] = [];
    await page.route(
      (u) => u.pathname.endsWith("/ack"),
      (route) => void acks.push(route),
    );
    await signIn(page, h.url, ADMIN, PRODUCT);
    await page.goto(`${h.url}/#/alerts`);
    const rows = page.locator('[data-testid="alert-row"]');
    await expect.poll(() => rows.count(), SOON).toBe(ALERTS);
    const ackOf = (n: number) => page.locator(`[data-alert-id="${alert(n).id}"] [data-testid="alert-ack"]`);

    await ackOf(250).click();
    await expect.poll(() => acks.length, SOON).toBe(1);
    await ackOf(120).focus();
    // The panel's next read redraws every row while the ack is still out: the marked button is replaced (waiting for
    // a read alone let the checks below run on the rows drawn before it).
    await ackOf(250).evaluate((el) => el.setAttribute("data-old", ""));
    const redrawn = () => page.locator(`[data-alert-id="${alert(250).id}"] [data-testid="alert-ack"]:not([data-old])`);
    await expect
      .poll(
        onClock(page, 15_000, () => redrawn().count()),
        SOON,
      )
      .toBe(1);
    expect(await redrawn().isDisabled()).toBe(true);
    expect(await page.evaluate("document.activeElement?.closest('tr')?.getAttribute('data-alert-id')")).toBe(
      alert(120).id,
    );
    await ackOf(250).dispatchEvent("click");
    await acks[0]!.fulfill({ json: { ...alert(250), state: "acknowledged", acknowledgedBy: "admin" } });
    await expect.poll(() => page.locator("#alerts-status").textContent(), SOON).toBe(`Acknowledged ${alert(250).id}.`);
    expect(acks).toHaveLength(1);
    expect(errors).toEqual([]);
    await closeContext(context);
  });

  it("hands focus to the Ack in the place of an alert gone from the next read, then to the panel's heading", async () => {
    const { context, page, errors } = await newPage(browser);
    await page.clock.install();
    let open = OPEN;
    await page.route(
      (u) => u.pathname.endsWith("/alerts"),
      async (route: Route) => {
        const state = new URL(route.request().url()).searchParams.get("state");
        await route.fulfill({ json: { alerts: state === "open" ? open : [] } });
      },
    );
    await signIn(page, h.url, ADMIN, PRODUCT);
    await page.goto(`${h.url}/#/alerts`);
    const rows = page.locator('[data-testid="alert-row"]');
    await expect.poll(() => rows.count(), SOON).toBe(ALERTS);
    const ackOf = (n: number) => page.locator(`[data-alert-id="${alert(n).id}"] [data-testid="alert-ack"]`);
    const focusedAlert = () => page.evaluate("document.activeElement?.closest('tr')?.getAttribute('data-alert-id')");
    await ackOf(120).focus();
    open = OPEN.filter((a) => a.id !== alert(120).id); // resolved meanwhile
    await expect
      .poll(
        onClock(page, 15_000, () => rows.count()),
        SOON,
      )
      .toBe(ALERTS - 1);
    expect(await focusedAlert()).toBe(alert(119).id);
    open = [];
    const list = page.locator("#alerts-rows");
    await expect
      .poll(
        onClock(page, 15_000, () => list.textContent()),
        SOON,
      )
      .toBe("No alerts.");
    expect(await page.evaluate("document.activeElement?.id")).toBe("alerts-title");
    expect(errors).toEqual([]);
    await closeContext(context);
  });
});
