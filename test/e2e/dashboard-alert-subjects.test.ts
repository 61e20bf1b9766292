// The alerts page names a factory alert's factory, in Debian Chromium against the real local server (the alert and
// fleet lists served by page.route): `factory:<id>` reads "factory box-1", a breaker's "breaker of box-1, engine
// claude", two factories of one name "box-2 (id)" — the list read "factory:fac_…" beside a fleet of names (pass 43)
// — with the stored subject kept as the cell's title; the Ack button's name says the same words.
import type { Route } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeContext, launchChromium, newPage, signIn } from "./chromium.ts";
import { ADMIN, createProduct, type Harness, startHarness } from "./harness.ts";

const PRODUCT = "alert-subjects";
/** A server answer on a busy two-core machine; never a delay. */
const SOON = { timeout: 15_000 };

/** A factory as GET …/factories lists it. */
const factory = (id: string, name: string) => ({
  id,
  name,
  status: "active",
  health: "ok",
  seats: 1,
  load: 0,
  lastHeartbeatAt: 1_700_000_000_000,
  capabilities: [],
});
const FLEET = [factory("fac_a", "box-1"), factory("fac_b", "box-2"), factory("fac_c", "box-2")];

/** An open alert about `subject`. */
const alert = (n: number, kind: string, subject: string) => ({
  id: `al_${String(n).padStart(12, "0")}`,
  kind,
  subject,
  severity: "critical",
  state: "open",
  message: "m",
  openedAt: 1_700_000_000_000 + n,
});
const OPEN = [
  alert(3, "factory_quarantined", "factory:fac_a"),
  alert(2, "breaker_open", "breaker:fac_c:claude"),
  alert(1, "budget_warning", "product"),
];

describe("dashboard: alert subjects", () => {
  let h: Harness;
  let browser: Awaited<ReturnType<typeof launchChromium>>;

  beforeAll(async () => {
    h = await startHarness();
    await createProduct(h.url, PRODUCT);
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await h?.close();
  });

  it("names the factory of a factory's and a breaker's alert, by 'name (id)' when the name is shared", async () => {
    const { context, page, errors } = await newPage(browser);
    await page.route(
      (u) => u.pathname.endsWith("/alerts"),
      (route: Route) => {
        const state = new URL(route.request().url()).searchParams.get("state");
        return route.fulfill({ json: { alerts: state === "open" ? OPEN : [] } });
      },
    );
    await page.route(
      (u) => u.pathname.endsWith(`/products/${PRODUCT}/factories`),
      (route: Route) => route.fulfill({ json: { factories: FLEET } }),
    );
    await signIn(page, h.url, ADMIN, PRODUCT);
    await page.goto(`${h.url}/#/alerts`);
    const subjects = page.locator('[data-testid="alert-subject"]');
    await expect.poll(() => subjects.count(), SOON).toBe(3);
    expect(await subjects.allTextContents()).toEqual([
      "factory box-1",
      "breaker of box-2 (fac_c), engine claude",
      "product",
    ]);
    expect(await subjects.first().getAttribute("title")).toBe("factory:fac_a");
    await page
      .getByRole("button", { name: "Acknowledge factory_quarantined factory box-1", exact: true })
      .waitFor(SOON);
    expect(errors).toEqual([]);
    await closeContext(context);
  });
});
