// A Fleet grant stays one grant while its card still shows it busy (dashboard/fleet-grants.js), in Debian Chromium
// against the real local server: the seat limit set with Enter in its box is answered, and while the factory list
// is read again (held here) the Set button is still aria-disabled — a second Enter in the box (its own keydown, no
// click for busy.js `guardBusy` to drop) sent a second grant, with another value, because the page let go of the
// request at its answer, before the read that redraws the card.
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { holdRequests, launchChromium, newPage, signIn } from "./chromium.ts";
import { adminApi, call, type Harness, mintRoleTokens, P, startHarness } from "./harness.ts";

const PRODUCT = "grant-enter";
/** A server answer or a page's first draw on a busy two-core machine; never a delay. */
const SOON = { timeout: 30_000 };

describe("dashboard: a seat limit set with Enter", () => {
  let h: Harness;
  let browser: Browser;
  let operator = "";
  let factoryId = "";
  const api = adminApi(() => h.url, PRODUCT);

  beforeAll(async () => {
    h = await startHarness();
    operator = (await mintRoleTokens(h.url, PRODUCT)).operator;
    const f = await api<{ factoryId: string; token: string }>("POST", "/factories/enroll", {
      name: "box-e",
      capabilities: ["os:linux"],
      seats: 2,
    });
    factoryId = f.factoryId;
    const hb = await call(h.url, "POST", `${P(PRODUCT)}/factories/heartbeat`, f.token, {
      capabilities: ["os:linux"],
      seats: 8,
    });
    expect(hb.status).toBe(200);
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await h?.close();
  });

  it("sends one grant while the card is busy re-reading the list, however often Enter is pressed", async () => {
    const { page, errors, close } = await newPage(browser);
    const posts: string[] = [];
    page.on("request", (r) => {
      if (r.method() === "POST" && r.url().endsWith("/capabilities/approve")) posts.push(r.postData() ?? "");
    });
    await signIn(page, h.url, operator, PRODUCT);
    await page.goto(`${h.url}/#/fleet`);
    const seats = page.getByLabel("Seat limit of box-e", { exact: true });
    const set = page.getByRole("button", { name: "Set seat limit of box-e", exact: true });
    await seats.waitFor(SOON);
    const reads = await holdRequests(page, "GET", "/factories"); // the read after the answer waits here
    await seats.fill("3");
    await seats.press("Enter");
    await expect.poll(() => reads.sent(), SOON).toBeGreaterThan(0);
    await expect.poll(() => posts.length, SOON).toBe(1);
    expect(await set.getAttribute("aria-disabled")).toBe("true"); // still busy: the list is being read again
    await seats.fill("5");
    await seats.press("Enter");
    reads.answer();
    const status = page.locator(`#grant-status-${factoryId}`);
    await expect.poll(() => status.textContent(), SOON).toBe("Seat limit set: routed on os:linux · seat limit 3.");
    await expect.poll(() => set.getAttribute("aria-disabled"), SOON).toBe(null);
    expect(posts.map((p) => JSON.parse(p))).toEqual([{ seatLimit: 3 }]);
    expect((await api<{ seatLimit: number }>("GET", `/factories/${factoryId}`)).seatLimit).toBe(3);
    expect(errors).toEqual([]);
    await close();
  });
});
