// The header's health badge is not left saying "healthy" while the coordinator cannot be reached, in real Chromium
// (the page's clock run by page.clock): the shared poller's next read failing hides it at once — it said "healthy"
// for up to 15 s beside "Cannot reach the coordinator" — and the first read that works once it is back shows it
// again, read anew. Its re-read every 15 s writes nothing while the words stay the same (a live region says each
// write).
import { describe, expect, it } from "vitest";
import { dashboardSuite, onClock, signedInPage } from "./dashboard-session.ts";
import { ADMIN } from "./harness.ts";

const PRODUCT = "health-lapse";
/** A server answer or a page's draw on a busy two-core machine; never a delay. */
const SOON = { timeout: 30_000 };

describe("dashboard: the health badge while the coordinator is away", () => {
  const suite = dashboardSuite(PRODUCT, { createProduct: true });

  it("hides the badge at the poller's first failed read and shows it again at its first read that works", async () => {
    const { page, errors, close } = await signedInPage(suite, ADMIN, PRODUCT, {
      route: (p) => p.clock.install(),
    });
    const badge = page.locator("#health-badge");
    const summary = page.locator("#summary");
    await expect.poll(() => badge.textContent(), SOON).toBe("healthy");
    // Time stands still from here but for the jumps below: the badge's own 15 s re-read is not reached.
    // (A read may still be out as it stops: its next tick is then due 3 s after its answer, so time is moved on in
    // steps until the poller has read and failed — a few seconds, far from the badge's 15 s.)
    await page.clock.pauseAt(((await page.evaluate("Date.now()")) as number) + 1_000);
    await page.route("**/api/v1/products/**", (route) => route.abort("connectionrefused"));
    await expect
      .poll(async () => {
        await page.clock.fastForward(500); // toward the shared poller's next tick, 3 s after its last
        return summary.textContent();
      }, SOON)
      .toMatch(/Cannot reach the coordinator/);
    expect(await badge.isVisible()).toBe(false);

    await page.unroute("**/api/v1/products/**");
    await expect
      .poll(async () => {
        await page.clock.fastForward(1_000); // the poller's backoff after one failure: 3 to 6 s
        return /Cannot reach/.test((await summary.textContent()) ?? "");
      }, SOON)
      .toBe(false);
    await expect.poll(() => badge.isVisible(), SOON).toBe(true);
    expect(await badge.textContent()).toBe("healthy");
    expect(errors).toEqual([]);
    await close();
  });

  // The badge is a polite live region: each write of it is said. Its re-read every 15 s wrote the same "healthy"
  // again each time.
  it("writes the badge's words only when they change, not at each re-read of the same health", async () => {
    const { page, errors, close } = await signedInPage(suite, ADMIN, PRODUCT, {
      route: (p) => p.clock.install(),
    });
    let reads = 0;
    page.on("requestfinished", (r) => {
      if (new URL(r.url()).pathname.endsWith("/health")) reads++;
    });
    const badge = page.locator("#health-badge");
    await expect.poll(() => badge.textContent(), SOON).toBe("healthy");
    await page.evaluate(`(() => {
      window.writes = 0;
      const badge = document.getElementById("health-badge");
      new MutationObserver((changes) => { window.writes += changes.length; })
        .observe(badge, { childList: true, characterData: true, subtree: true });
    })()`);
    const until = reads + 2;
    await expect
      .poll(
        onClock(page, 15_000, async () => reads >= until),
        SOON,
      )
      .toBe(true);
    expect(await page.evaluate("window.writes")).toBe(0);
    expect(await badge.textContent()).toBe("healthy");
    expect(errors).toEqual([]);
    await close();
  });
});
