// A press is not lost to a redraw the person did not cause, in Debian Chromium against the real local server: a mouse
// held down on a quarantined factory's Release while the shared poller's read of the fleet answers (the queue moved)
// and the page says so, then let go, sends the release once, and the cards are drawn from that read after it — the
// card redrawn between press and release had sent the click to the list, and the release was never sent (CI). The
// same with Space held on Release (a button clicks on keyup), and with a job's link on the board held while the
// board's read draws the rows (a failed read, said on the status line in the same draw): the link still opens the
// job. The read is held before the press and answered during it: the press lasts that answer's draw, not the
// poller's next tick, so it stays far inside press-hold's bound (HOLD_MAX_MS) on a loaded machine.
import type { Locator, Page, Route } from "playwright-core";
import { describe, expect, it } from "vitest";
import { dashboardSuite, signedInPage } from "./dashboard-session.ts";
import { adminApi } from "./harness.ts";
import { countFetches, fulfillJson as json } from "./page-fetches.ts";

const PRODUCT = "press-redraw";
/** A server answer or a page's draw on a busy two-core machine; never a delay. */
const SOON = { timeout: 30_000 };

/**
 * Holds the page's next GET of a path ending in `suffix`, once `arm()` is called, until `answer()`; every request
 * answers with `respond(route)` (read when it is answered, so a held read says what is true at its answer).
 */
async function holdable(page: Page, suffix: string, respond: (route: Route) => Promise<void>) {
  let armed = false;
  let held = 0;
  let release = () => {};
  await page.route(
    (u) => u.pathname.endsWith(suffix),
    async (route) => {
      if (route.request().method() !== "GET") return route.fallback();
      if (armed) {
        armed = false;
        held++;
        await new Promise<void>((r) => {
          release = r;
        });
      }
      return respond(route);
    },
  );
  return {
    /** The next read is held; `held()` counts the reads held so far. */
    arm: () => {
      armed = true;
    },
    held: () => held,
    answer: () => release(),
  };
}

const factory = (id: string, name: string, status: string) => ({
  id,
  name,
  status,
  health: "ok",
  seats: 2,
  load: 0,
  lastHeartbeatAt: Date.now(),
  capabilities: [],
  breakers: [],
});

/**
 * Moves the mouse over `target`, at most 20 px into it (a link's text starts at its left): the cards drawn anew by each
 * read while the page settles leave an element gone as it is measured (null), so it is measured until it answers.
 */
async function pointAt(page: Page, target: Locator) {
  let box: Awaited<ReturnType<Locator["boundingBox"]>> = null;
  await expect
    .poll(async () => {
      box = await target.boundingBox();
      return box !== null;
    }, SOON)
    .toBe(true);
  const { x, y, width, height } = box as unknown as NonNullable<typeof box>;
  await page.mouse.move(x + Math.min(width / 2, 20), y + height / 2);
}

describe("dashboard: a press outlasts a redraw the person did not cause", () => {
  const suite = dashboardSuite(PRODUCT, { createProduct: true, tokens: true });
  const api = adminApi(() => suite.h.url, PRODUCT);

  /**
   * The Fleet page over a stand-in list: box-q quarantined, and from the held read's answer on a second factory beside
   * it — the summary line over the cards says "2 factories" in the same draw as the cards read from that list.
   */
  async function fleetPage() {
    let sent: Awaited<ReturnType<typeof countFetches>> = async () => 0;
    let second = false;
    let released = false;
    let reads: Awaited<ReturnType<typeof holdable>> | undefined;
    const { page, errors, close } = await signedInPage(suite, suite.tokens.operator, PRODUCT, {
      route: async (p) => {
        sent = await countFetches(p);
        reads = await holdable(p, "/factories", (route) => {
          // Released, box-q is active in every read after, as the server's list says: a card's "Released" answer is
          // kept only while the list agrees (dashboard/card-answers), so a list still saying quarantined took it away.
          const q = factory("f-q", "box-q", released ? "active" : "quarantined");
          return json(route, { factories: second ? [q, factory("f-2", "box-2", "active")] : [q] });
        });
        await p.route("**/factories/f-q/release", (route) => {
          released = true;
          return json(route, { released: true });
        });
      },
    });
    await page.goto(`${suite.h.url}/#/fleet`);
    const release = page.getByRole("button", { name: "Release box-q", exact: true });
    await release.waitFor(SOON);
    /** The queue moves, so the poller reads the list now (not in 15 s): that read is held until `grow`. */
    const holdRead = async () => {
      reads?.arm();
      await api("POST", "/jobs", { manifest: { title: "moves the queue version" } });
      await expect.poll(() => reads?.held(), SOON).toBe(1);
    };
    /** The held read answers with two factories, and the page says so. */
    const grow = async () => {
      second = true;
      reads?.answer();
      // The summary is written in the draw that replaced the cards (before the fix) or held them (after).
      await expect.poll(() => page.locator("#fleet-summary").textContent(), SOON).toMatch(/^2 factories/);
    };
    const cards = () => page.locator("ul.fleet > li.card").count();
    return { page, errors, close, release, holdRead, grow, cards, sent: () => sent("POST", "/factories/f-q/release") };
  }

  it("fleet: a mouse press on Release held while the poller's read of the list answers sends the release once", async () => {
    const { page, errors, close, release, holdRead, grow, cards, sent } = await fleetPage();
    await holdRead();
    await pointAt(page, release);
    await page.mouse.down();
    await grow();
    await page.mouse.up();
    await expect.poll(sent, SOON).toBe(1);
    // Then the cards are drawn from the read that came during the press: box-2 beside box-q.
    await expect.poll(cards, SOON).toBe(2);
    await expect.poll(() => page.locator("#release-status-f-q").textContent(), SOON).toMatch(/^Released/);
    expect(await sent()).toBe(1);
    expect(errors).toEqual([]);
    await close();
  });

  it("fleet: Space held on Release while the poller's read of the list answers sends the release once", async () => {
    const { page, errors, close, release, holdRead, grow, cards, sent } = await fleetPage();
    await holdRead();
    await release.focus();
    await page.keyboard.down(" ");
    await grow();
    await page.keyboard.up(" ");
    await expect.poll(sent, SOON).toBe(1);
    await expect.poll(cards, SOON).toBe(2);
    expect(await sent()).toBe(1);
    expect(errors).toEqual([]);
    await close();
  });

  it("jobs board: a job's link held while the board's read draws the rows still opens the job", async () => {
    const job = await api<{ id: string }>("POST", "/jobs", { manifest: { title: "pressed while drawn" } });
    let fail = false;
    let reads: Awaited<ReturnType<typeof holdable>> | undefined;
    const { page, errors, close } = await signedInPage(suite, suite.tokens.operator, PRODUCT, {
      route: async (p) => {
        // The board's held read fails (503): its status line says so in the draw that draws the rows again.
        reads = await holdable(p, "/jobs", (route) => {
          if (!fail) return route.fallback();
          fail = false;
          const problem = { type: "about:blank", title: "Unavailable", detail: "try later", code: "unavailable" };
          return json(route, problem, 503);
        });
      },
    });
    await page.goto(`${suite.h.url}/#/jobs`);
    const link = page.locator(`tr[data-job="${job.id}"] a`);
    await link.waitFor(SOON);
    reads?.arm();
    await api("POST", "/jobs", { manifest: { title: "moves the queue version" } }); // the board reads again
    await expect.poll(() => reads?.held(), SOON).toBe(1);
    await pointAt(page, link);
    await page.mouse.down();
    fail = true;
    reads?.answer();
    await page.locator("#main [data-load-error]").waitFor(SOON); // said in the draw that drew the rows
    await page.mouse.up();
    await expect.poll(() => new URL(page.url()).hash, SOON).toBe(`#/jobs/${job.id}`);
    await page.locator("#job-title").filter({ hasText: "pressed while drawn" }).waitFor(SOON);
    expect(errors).toEqual([]);
    await close();
  });
});
