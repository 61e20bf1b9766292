// The fleet page of 1,000 enrolled factories, in Debian Chromium against the real local server: the shared poller's
// ticks (every 3 s) redraw the cards only when a read brought a new factory list or new track records — between,
// the heartbeat ages move in place. Every tick used to rebuild all 1,000 cards (~16,000 nodes, each card filtering
// every track record for its own), so the page was busy every 3 s and a reader's text selection was wiped. Its
// track-record reads ask for each factory's few records with the most runs (`perFactory=4`: the lines a card shows),
// not every record of the product (up to 5,000, ~1 MB a poll).
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeContext, launchChromium, newPage, signIn } from "./chromium.ts";
import { onClock } from "./dashboard-session.ts";
import { ADMIN, adminApi, call, type Harness, P, startHarness } from "./harness.ts";

const PRODUCT = "scale-fleet";
const FACTORIES = 1000;
/** A server answer on a busy two-core machine; never a delay. */
const SOON = { timeout: 15_000 };
/** Ticks of the shared poller and an age that must move: several seconds on a loaded machine. */
const TICKS = { timeout: 60_000 };

describe("dashboard: the fleet page of 1,000 factories", () => {
  let h: Harness;
  let browser: Browser;
  let beating = "";
  const api = adminApi(() => h.url, PRODUCT);

  beforeAll(async () => {
    h = await startHarness();
    for (let i = 0; i < FACTORIES; i += 25)
      await Promise.all(
        Array.from({ length: 25 }, (_, k) =>
          api("POST", "/factories/enroll", { name: `host-${i + k}`, capabilities: ["os:linux"], seats: 2 }),
        ),
      );
    // One host has said it is alive: its card shows a heartbeat age.
    const enrolled = await api<{ token: string; factoryId: string }>("POST", "/factories/enroll", { name: "alive" });
    beating = enrolled.factoryId;
    const beat = await call(h.url, "POST", `${P(PRODUCT)}/factories/heartbeat`, enrolled.token, {});
    expect(beat.status).toBe(200);
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await h?.close();
  });

  it("redraws the cards only for a new read, and moves the ages in place between", async () => {
    const { context, page, errors } = await newPage(browser);
    // The poller's ticks (every 3 s) reached by running the page's clock on, a tick's worth a look (onClock).
    await page.clock.install();
    await signIn(page, h.url, ADMIN, PRODUCT);
    const trackQueries: string[] = [];
    page.on("request", (r) => {
      const url = new URL(r.url());
      if (url.pathname.endsWith("/routing/track-records")) trackQueries.push(url.search);
    });
    await page.goto(`${h.url}/#/fleet`);
    const cards = page.locator("ul.fleet > li.card.factory");
    await expect.poll(() => cards.count(), SOON).toBe(FACTORIES + 1);
    const age = page.locator(`li.card.factory:has(p.id:text-is("${beating}")) .health .muted`);
    const firstAge = await age.textContent();
    expect(firstAge).toMatch(/^ · heartbeat /);

    // From here: each redraw of the cards (one observer call: a redraw is synchronous), each read that may bring new cards, and each tick of the poller.
    await page.evaluate(`
      window.__redraws = 0;
      new MutationObserver(() => { window.__redraws++; })
        .observe(document.querySelector("ul.fleet"), { childList: true });
    `);
    const reads = { cards: 0, ticks: 0 };
    page.on("response", (r) => {
      const path = new URL(r.url()).pathname;
      if (path.endsWith("/factories") || path.endsWith("/routing/track-records")) reads.cards++;
      if (path.endsWith("/queue-state")) reads.ticks++;
    });
    await expect
      .poll(
        onClock(page, 3_000, async () => reads.ticks),
        TICKS,
      )
      .toBeGreaterThanOrEqual(3);
    await expect
      .poll(
        onClock(page, 3_000, () => age.textContent()),
        TICKS,
      )
      .not.toBe(firstAge);
    const redraws = (await page.evaluate("window.__redraws")) as number;
    expect(redraws).toBeLessThanOrEqual(reads.cards);
    expect(await cards.count()).toBe(FACTORIES + 1);
    expect(await page.locator("#fleet-summary").textContent()).toMatch(/^1,001 factories · /);
    // The page opened with one read of the track records: each factory's four with the most runs, not all of them.
    expect(trackQueries.length).toBeGreaterThanOrEqual(1);
    expect(new Set(trackQueries)).toEqual(new Set(["?perFactory=4"]));
    expect(errors).toEqual([]);
    await closeContext(context);
  });
});
