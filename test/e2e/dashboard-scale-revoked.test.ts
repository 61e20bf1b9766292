// A session whose token is revoked while the dashboard polls, in Debian Chromium against the real local server: the
// page signs out with the server's reason, and once the reader has signed in again with another token, a request of
// the revoked session still out (answered 401 late) does not sign the new session out — it did, so a reader was
// thrown back to the sign-in form by a request they could no longer see. Nor does a metrics read of a product signed
// out of draw that product's figures in the header tiles of the next one.
import type { Browser, Route } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeContext, launchChromium, newPage } from "./chromium.ts";
import { ADMIN, adminApi, createProduct, type Harness, startHarness } from "./harness.ts";

const PRODUCT = "scale-revoked";
/** A second product, with no jobs: signed into after PRODUCT. */
const OTHER = "scale-revoked-other";
/** A server answer on a busy two-core machine; never a delay. */
const SOON = { timeout: 15_000 };
/** The shared poller ticks every 3 s; on a loaded machine a tick may come late. */
const REDRAW = { timeout: 30_000 };

describe("dashboard: a token revoked while pages poll", () => {
  let h: Harness;
  let browser: Browser;
  const api = adminApi(() => h.url, PRODUCT);
  const mint = (name: string) => api<{ id: string; token: string }>("POST", "/tokens", { role: "viewer", name });

  beforeAll(async () => {
    h = await startHarness();
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await h?.close();
  });

  it("signs out on the revocation, and a late 401 of the revoked session leaves the next session signed in", async () => {
    const first = await mint("first");
    const second = await mint("second");
    const { context, page, errors } = await newPage(browser);
    // The first session's first health read is held: it is still out when that session ends.
    let held: Route | undefined;
    await page.route(
      (u) => u.pathname.endsWith("/health"),
      (route) => {
        const mine = route.request().headers().authorization === `Bearer ${first.token}`;
        if (mine && !held) held = route;
        else void route.continue();
      },
    );
    const signIn = async (token: string) => {
      await page.getByLabel("Token").fill(token);
      await page.getByLabel("Product").fill(PRODUCT);
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.getByRole("button", { name: "Sign out" }).waitFor(SOON);
    };
    await page.goto(`${h.url}/`);
    await signIn(first.token);
    await expect.poll(() => held !== undefined, SOON).toBe(true);

    await api("DELETE", `/tokens/${first.id}`);
    await page.getByRole("button", { name: "Sign in" }).waitFor(REDRAW);
    expect(await page.locator("#signin-error").textContent()).toMatch(/^Signed out: /);

    await signIn(second.token);
    await held!.continue();
    const late = await held!.request().response();
    expect(late?.status()).toBe(401);
    await late?.finished();
    // A poller tick of the new session answered after the late 401: its handler has run by then.
    await page.waitForResponse((r) => r.url().endsWith("/queue-state") && r.status() === 200, REDRAW);
    expect(await page.getByRole("button", { name: "Sign out" }).isVisible()).toBe(true);
    const stored = await page.evaluate("sessionStorage.getItem('gigafactory.session')");
    expect(JSON.parse(String(stored))).toEqual({ token: second.token, product: PRODUCT });
    expect(errors).toEqual([]);
    await closeContext(context);
  });

  it("draws no figures of a product signed out of in the next product's header tiles", async () => {
    await createProduct(h.url, OTHER);
    for (const title of ["a", "b", "c"]) await api("POST", "/jobs", { manifest: { title } }); // queued: no factory
    const { context, page, errors } = await newPage(browser);
    // Each product's first metrics read is held.
    const held = new Map<string, Route>();
    await page.route(
      (u) => u.pathname.endsWith("/metrics"),
      (route) => {
        const product = new URL(route.request().url()).pathname.split("/")[4] ?? "";
        if (held.has(product)) void route.continue();
        else held.set(product, route);
      },
    );
    const signIn = async (product: string) => {
      await page.getByLabel("Token").fill(ADMIN);
      await page.getByLabel("Product").fill(product);
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.getByRole("button", { name: "Sign out" }).waitFor(SOON);
    };
    await page.goto(`${h.url}/`);
    await signIn(PRODUCT);
    await expect.poll(() => held.has(PRODUCT), SOON).toBe(true);
    await page.getByRole("button", { name: "Sign out" }).click();
    await signIn(OTHER);
    await expect.poll(() => held.has(OTHER), SOON).toBe(true);

    const late = held.get(PRODUCT)!;
    await late.continue();
    await (await late.request().response())?.finished();
    await page.waitForResponse((r) => r.url().endsWith(`/${OTHER}/queue-state`) && r.status() === 200, REDRAW);
    expect(await page.locator("#tiles .tile").count()).toBe(0); // OTHER's own figures are still on their way
    await held.get(OTHER)!.continue();
    const queued = page.locator("#tiles .tile", { hasText: /^\d+queued$/ }).locator(".tile-value");
    await expect.poll(() => queued.textContent(), SOON).toBe("0");
    expect(errors).toEqual([]);
    await closeContext(context);
  });
});
