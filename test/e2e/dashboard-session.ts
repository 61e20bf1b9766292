// The set-up every dashboard browser test file repeated: a real local coordinator and one headless Chromium for the
// file (started in its beforeAll, both closed in its afterAll), the product made and its viewer and operator tokens
// minted when asked, and a signed-in page in a context of its own. A file calls `dashboardSuite` inside its describe
// and reads `suite.h`, `suite.browser` and `suite.tokens` in its tests; hooks it adds after run after these.
import type { Browser, Locator, Page } from "playwright-core";
import { afterAll, beforeAll, expect } from "vitest";
import { closeContext, holdRequests, launchChromium, signIn } from "./chromium.ts";
import { ADMIN, type adminApi, call, type Harness, mintRoleTokens, startHarness } from "./harness.ts";

/** A server answer or a page's draw on a busy two-core machine; never a delay. */
const SOON = { timeout: 30_000 };

/** What `dashboardSuite` starts: read only inside tests and later hooks (its beforeAll sets it). */
export interface DashboardSuite {
  h: Harness;
  browser: Browser;
  /** The product's viewer and operator tokens (`tokens: true`), else "". */
  tokens: { viewer: string; operator: string };
}

/**
 * Registers the file's beforeAll and afterAll: a harness and a Chromium; with `createProduct` the product is made
 * first (POST /products: 201), with `tokens` its viewer and operator tokens are minted.
 * @param product the product the file's tests use
 */
export function dashboardSuite(
  product: string,
  opts: { createProduct?: boolean; tokens?: boolean } = {},
): DashboardSuite {
  const suite = { tokens: { viewer: "", operator: "" } } as DashboardSuite;
  beforeAll(async () => {
    suite.h = await startHarness();
    if (opts.createProduct)
      expect((await call(suite.h.url, "POST", "/api/v1/products", ADMIN, { id: product })).status).toBe(201);
    if (opts.tokens) Object.assign(suite.tokens, await mintRoleTokens(suite.h.url, product));
    suite.browser = await launchChromium();
  });
  afterAll(async () => {
    await suite.browser?.close();
    await suite.h?.close();
  });
  return suite;
}

/**
 * A page `width` × `height` px (1280 × 800), signed in on the dashboard with `token` on `product`; `route` runs before anything loads (a
 * WebSocket route holds only for documents loaded after it). Dialogs (a Cancel's confirm) are accepted. `errors`
 * collects the page's uncaught exceptions; `close` closes its context.
 */
export async function signedInPage(
  suite: DashboardSuite,
  token: string,
  product: string,
  opts: { width?: number; height?: number; route?: (page: Page) => Promise<void> } = {},
) {
  const context = await suite.browser.newContext({
    viewport: { width: opts.width ?? 1280, height: opts.height ?? 800 },
  });
  const page = await context.newPage();
  await opts.route?.(page);
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("dialog", (d) => void d.accept());
  await signIn(page, suite.h.url, token, product);
  return { context, page, errors, close: () => closeContext(context) };
}

/**
 * Presses `button` once it is offered — with the keyboard (focus, Enter) or a click — while every `method` request to a
 * path ending in `suffix` is held (chromium.ts `holdRequests`), and waits until that request is out. Returns the hold:
 * `answer()` lets it go, `sent()` counts the requests.
 */
export async function pressHeld(
  page: Page,
  button: Locator,
  hold: { method: string; suffix: string; by?: "keyboard" | "click" },
) {
  const held = await holdRequests(page, hold.method, hold.suffix);
  await expect.poll(() => button.isEnabled(), SOON).toBe(true);
  if (hold.by === "click") await button.click();
  else {
    await button.focus();
    await page.keyboard.press("Enter");
  }
  await expect.poll(held.sent, SOON).toBe(1);
  return held;
}

/** What a screen reader reads as `box`'s description: the text of the elements its aria-describedby names. */
export const description = (box: Locator) =>
  box.evaluate((el) =>
    (el.getAttribute("aria-describedby") ?? "")
      .split(/\s+/)
      .filter(Boolean)
      .map((id: string) => el.ownerDocument.getElementById(id)?.textContent?.trim() ?? "")
      .join(" "),
  );

/**
 * Waits until GET …/lessons lists every lesson of `ids`. It reads D1, which the outbox fills a moment after each POST,
 * and the lessons page reads it once, when opened: opened before, the page listed fewer and never read again (fresh
 * run: dashboard-a11y-keyboard's two lessons, none listed for 30 s).
 */
export async function untilLessonsListed(api: ReturnType<typeof adminApi>, ids: string[]): Promise<void> {
  const listed = async () => {
    const { items } = await api<{ items: Array<{ id: string }> }>("GET", "/lessons");
    return ids.every((id) => items.some((l) => l.id === id));
  };
  // A loop, not expect.poll: a beforeAll may call it (dashboard-lessons' wait for D1 is the same).
  const deadline = Date.now() + SOON.timeout;
  while (!(await listed())) {
    if (Date.now() > deadline) throw new Error(`GET …/lessons did not list ${ids.join(", ")} within 30 s`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Waits for the fleet cards' next redraw, `redrawn()` saying it came: before each look the page's clock (installed
 * before the page loaded: page.clock.install) runs 16 s on, past the shared poller's re-read of the factory list
 * (dashboard/live.js FACTORY_REFRESH_MS, 15 s), which the cards are drawn anew from. Waited for in real time, that
 * was up to 15 s a redraw.
 */
export async function untilFleetRedrawn(page: Page, redrawn: () => Promise<boolean>): Promise<void> {
  await expect.poll(onClock(page, 16_000, redrawn), SOON).toBe(true);
}

/**
 * A look for expect.poll that runs the page's clock (installed before the page loaded: page.clock.install) `ms` on,
 * then reads `read`: the page's next poll reached instead of waited for in real time.
 */
export const onClock =
  <T>(page: Page, ms: number, read: () => Promise<T>) =>
  async (): Promise<T> => {
    await page.clock.fastForward(ms);
    return read();
  };

/**
 * Whether the element `box` finds holds keyboard focus, asked in one query of the page. `box.evaluate(el => el ===
 * activeElement)` found the element, then evaluated on it in a second round trip: a poll's redraw between the two (the
 * Fleet cards, drawn anew with focus moved to the new box) handed it the box just replaced — false, focus where it
 * should be (fresh-clone CI; 53 and 64 of 150 such reads during redraws, 0 of 300 with focus off the box drawn).
 */
export const hasFocus = async (box: Locator): Promise<boolean> =>
  (await box.and(box.page().locator(":focus")).count()) === 1;

/** `box` is refused with `said`: marked invalid, described by it, and focused (dashboard/field-error). */
export async function expectRefused(box: Locator, said: RegExp): Promise<void> {
  await expect.poll(() => box.getAttribute("aria-invalid"), SOON).toBe("true");
  expect(await description(box)).toMatch(said);
  expect(await hasFocus(box)).toBe(true);
}
