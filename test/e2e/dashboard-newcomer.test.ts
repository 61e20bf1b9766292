// What a newcomer met on the dashboard, in Debian Chromium against the real local server (a stand-in answer served by
// page.route where the real state is slow or impossible to make): the sticky header stays at most two lines tall at
// 1280×800 and 1024×768 with the longest realistic counts (every stage 4 digits, an operator's nav, the health
// badge) — the counts were squeezed into a ~100 px column ten lines tall and the header grew to ~210 px — and on a
// 390 px phone its counts take two lines at most and the header, taller there, is not pinned over the page;
// the budget burndown is a stepped line, flat between charges and flat from the last one to now (it sloped from $0
// at the period's start to the spend, as if it had accrued all day: read off the canvas's pixels); and the ages of the pages that are not read on
// a timer (dead letters, lessons, enrollment codes: created, expires, state) move with the poller's ticks, without
// reading their list again.
import type { Browser, Page, Route } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium, newPage, signIn } from "./chromium.ts";
import { onClock } from "./dashboard-session.ts";
import { adminApi, type Harness, mintRoleTokens, startHarness } from "./harness.ts";
import { jobReads } from "./job-reads.ts";

const PRODUCT = "newcomer";
/** A server answer or a page's draw on a busy two-core machine; never a delay. */
const SOON = { timeout: 30_000 };
const STAGES = [
  "queued",
  "blocked",
  "assigned",
  "building",
  "review",
  "testing",
  "shipped",
  "failed",
  "dead_letter",
  "cancelled",
];

/** The browser's, inside evaluate (this file is typed without the DOM library). */
declare const getComputedStyle: (el: unknown) => { lineHeight: string; position: string };

/** The little of a canvas element the burndown test reads (this file is typed without the DOM library). */
type Canvas = {
  height: number;
  getContext(
    kind: "2d",
  ): { getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> } } | null;
};

/** Serves `json` (200) for the page's GETs of a path ending in `suffix`; counts them. */
async function standIn(page: Page, suffix: string, json: () => unknown) {
  const reads = { n: 0 };
  await page.route(
    (u) => u.pathname.endsWith(suffix),
    (route: Route) => {
      if (route.request().method() !== "GET") return route.fallback();
      reads.n++;
      return route.fulfill({ status: 200, contentType: "application/json", json: json() });
    },
  );
  return reads;
}

describe("dashboard: a newcomer's reports", () => {
  let h: Harness;
  let browser: Browser;
  const tokens = { viewer: "", operator: "" };
  const api = adminApi(() => h.url, PRODUCT);

  beforeAll(async () => {
    h = await startHarness();
    Object.assign(tokens, await mintRoleTokens(h.url, PRODUCT));
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await h?.close();
  });

  for (const [width, height] of [
    [1280, 800],
    [1024, 768],
    [390, 800],
  ] as const)
    it(`keeps the header at most two lines tall at ${width}×${height} with the longest counts`, async () => {
      const { page, errors, close } = await newPage(browser, width);
      await page.setViewportSize({ width, height });
      // Every stage non-zero, 4 digits: "12,340 jobs · 1,234 queued · …".
      await standIn(page, "/stats", () => ({ counts: Object.fromEntries(STAGES.map((s) => [s, 1234])) }));
      await standIn(page, "/health", () => ({
        status: "degraded",
        checkedAt: Date.now(),
        openAlerts: { info: 0, warning: 1, critical: 0, total: 1 },
        factories: { ok: 1, degraded: 1, down: 0, left: 0 },
      }));
      // An operator: the longest nav (the operator pages' links too).
      await signIn(page, h.url, tokens.operator, PRODUCT);
      await expect.poll(() => page.locator('#nav a[href="#/dead-letters"]').isVisible(), SOON).toBe(true);
      await expect.poll(() => page.locator("#summary .counts").textContent(), SOON).toMatch(/^12,340 jobs · 1,234/);
      await expect.poll(() => page.locator("#health-badge").isVisible(), SOON).toBe(true);
      const box = async (sel: string) => (await page.locator(sel).boundingBox()) ?? { x: 0, y: 0, width: 0, height: 0 };
      const header = await box("header.topbar");
      const counts = await box("#summary .counts");
      const line = await page.locator("#summary .counts").evaluate((el) => parseFloat(getComputedStyle(el).lineHeight));
      // The counts take the width they need, on a line of their own when the nav leaves too little: two lines at most
      // on a phone, one wherever they fit — never a narrow column of one word a line.
      expect(counts.height).toBeLessThanOrEqual(2 * line + 1);
      if (width >= 1024) expect(counts.height).toBeLessThanOrEqual(line + 1);
      // Brand, nav and session, then the summary: a couple of lines. A phone's is taller (its nav alone is two
      // lines): it is not pinned there, and scrolls away with the page.
      const position = await page.locator("header.topbar").evaluate((el) => getComputedStyle(el).position);
      if (width >= 1024) {
        expect(header.height).toBeLessThanOrEqual(110);
        expect(position).toBe("sticky");
      } else expect(position).toBe("static");
      expect(errors).toEqual([]);
      await close();
    });

  /** An age that reads "just now" (under 5 s) and must come to read "N s ago" with no read of its list. */
  const movedAge = /^\d+ s ago$/;

  it("moves the dead letters' ages with the clock, without reading the list again", async () => {
    const { page, errors, close } = await newPage(browser);
    await page.clock.install(); // its clock run on, a tick's worth a look (onClock), not waited for
    // Its instant is the read's, not the test's start: the page's clock flows in real time (install), and a loaded
    // box's sign-in took long enough that an instant taken before it read "1 min ago" at the first look.
    const reads = await standIn(page, "/dead-letters", () => ({
      items: [{ id: "dl_1", source: "queue:webhook", reason: "webhook failed", body: {}, attempts: 9, at: Date.now() }],
    }));
    await signIn(page, h.url, tokens.operator, PRODUCT);
    await page.goto(`${h.url}/#/dead-letters`);
    const when = page.locator('tr[data-dead-letter-id="dl_1"] td').first();
    await expect.poll(() => when.textContent(), SOON).toMatch(/^(just now|\d+ s ago)$/);
    await expect
      .poll(
        onClock(page, 3_000, () => when.textContent()),
        SOON,
      )
      .toMatch(movedAge);
    expect(reads.n).toBe(1);
    expect(errors).toEqual([]);
    await close();
  });

  it("moves the lessons' ages with the clock, without reading the list again", async () => {
    const { page, errors, close } = await newPage(browser);
    await page.clock.install(); // its clock run on, a tick's worth a look (onClock), not waited for
    const lesson = { id: "les_1", text: "Run the linter", source: "operator", createdBy: "op", trigger: null };
    // The read's instant, not the test's start (the dead letters' case says why).
    const reads = await standIn(page, "/lessons", () => ({
      items: [{ ...lesson, capabilities: [], engine: null, serialKey: null, count: 1, updatedAt: Date.now() }],
      nextCursor: null,
    }));
    await signIn(page, h.url, tokens.operator, PRODUCT);
    await page.goto(`${h.url}/#/lessons`);
    const age = page.locator('tr[data-lesson-id="les_1"] td[data-at]');
    await expect.poll(() => age.textContent(), SOON).toMatch(/^(just now|\d+ s ago)$/);
    await expect
      .poll(
        onClock(page, 3_000, () => age.textContent()),
        SOON,
      )
      .toMatch(movedAge);
    expect(reads.n).toBe(1);
    expect(errors).toEqual([]);
    await close();
  });

  it("moves an enrollment code's age, expiry and state with the clock, without reading the list again", async () => {
    const { page, errors, close } = await newPage(browser);
    await page.clock.install(); // its clock run on, a tick's worth a look (onClock), not waited for
    // Minted as the page reads it, not at the test's start: the page's clock flows in real time (install), and on a
    // loaded CI box the sign-in took past the 8 s code's expiry before the first look ("expired", not "in 8 s").
    const reads = await standIn(page, "/factories/enrollment-codes", () => {
      const now = Date.now();
      return { codes: [{ id: "ec_1", mintedBy: "op", createdAt: now, expiresAt: now + 9000 }] };
    });
    await signIn(page, h.url, tokens.operator, PRODUCT);
    await page.goto(`${h.url}/#/enrollment`);
    const cells = page.locator('tr[data-code-id="ec_1"] td');
    await expect.poll(() => cells.nth(3).textContent(), SOON).toMatch(/^in \d s$/);
    await expect
      .poll(
        onClock(page, 3_000, () => cells.nth(3).textContent()),
        SOON,
      )
      .toBe("expired");
    expect(await cells.nth(5).textContent()).toBe("expired");
    expect(await cells.nth(2).textContent()).toMatch(movedAge);
    expect(reads.n).toBe(1);
    expect(errors).toEqual([]);
    await close();
  });

  it("moves the age of a quiet job's waiting reason with the clock, without reading the job again", async () => {
    // GPU-only: no factory takes it, nothing moves it — it waits, and its page has no reason to read it again.
    const { id } = await api<{ id: string }>("POST", "/jobs", { manifest: { title: "Quiet", requires: ["gpu"] } });
    const { page, errors, close } = await newPage(browser);
    await page.clock.install(); // its clock run on, a tick's worth a look (onClock), not waited for
    const seen = jobReads(page, id);
    await signIn(page, h.url, tokens.operator, PRODUCT);
    await page.goto(`${h.url}/#/jobs/${id}`);
    const age = page.locator(".waiting-panel .waiting-head [data-at]");
    await expect.poll(() => age.textContent(), SOON).toMatch(/^(just now|\d+ s ago)$/);
    await expect
      .poll(
        onClock(page, 3_000, () => age.textContent()),
        SOON,
      )
      .toMatch(movedAge);
    // One read, and one more only for each thing the page was told that it cannot tell from a change (jobReads).
    const { reads, excused, heard } = seen;
    expect(reads.n, JSON.stringify({ errors, excused, heard }, null, 1)).toBeLessThanOrEqual(1 + excused.length);
    expect(errors).toEqual([]);
    await close();
  });

  it("draws the burndown as steps: flat between charges, flat from the last one to now", async () => {
    const { page, errors, close } = await newPage(browser);
    // `budget set day 0.5`, then two jobs charged $0.30 each, 15½ h into the day: the points the API gives.
    const now = Date.now();
    const periodStart = now - 15.5 * 3_600_000;
    // A budget set, so the page reads GET …/budget (it asks the metrics document first whether one is); its answer
    // is the stand-in's. Ceiling far above any spend: nothing in this file pauses on it.
    await api("PUT", "/budget", { period: "day", ceilingUsd: 1000, onExhausted: "pause" });
    await standIn(page, "/budget", () => ({
      period: "day",
      ceilingUsd: 0.5,
      warnAtUsd: 0.4,
      spentUsd: 0.6,
      state: "paused",
      pausedBy: "exhausted",
      periodStart,
      periodEnd: periodStart + 86_400_000,
      onExhausted: "pause",
      burndown: [
        { at: periodStart, spentUsd: 0 },
        { at: now - 3_600_000, spentUsd: 0.3 },
        { at: now - 20 * 60_000, spentUsd: 0.6 },
      ],
    }));
    await signIn(page, h.url, tokens.operator, PRODUCT);
    await page.goto(`${h.url}/#/budget`);
    const chart = page.locator("#budget-chart");
    await expect.poll(() => chart.getAttribute("data-zero-row"), SOON).not.toBeNull();
    const attr = async (name: string) => Number(await chart.getAttribute(`data-${name}`));
    const [left, width, zero, spent] = [
      await attr("plot-left"),
      await attr("plot-width"),
      await attr("zero-row"),
      await attr("spent-row"),
    ];
    expect(zero - spent).toBeGreaterThan(50); // $0.60 is well above $0
    /** The rows of the spend's stroke (opaque #2563eb) in the canvas column at `x` (device px). */
    const strokeRows = (x: number) =>
      page.locator("#budget-chart canvas").evaluate((c, x) => {
        const canvas = c as unknown as Canvas;
        const px = canvas.getContext("2d")?.getImageData(x, 0, 1, canvas.height).data ?? [];
        const rows: number[] = [];
        for (let y = 0; y < canvas.height; y++) {
          const [r, g, b, a] = [0, 1, 2, 3].map((k) => px[4 * y + k] ?? 0) as [number, number, number, number];
          if (a === 255 && Math.abs(r - 37) < 40 && Math.abs(g - 99) < 40 && Math.abs(b - 235) < 40) rows.push(y);
        }
        return rows;
      }, x);
    // A quarter, half and three quarters of the day so far: no charge yet — the line lies on $0 (it sloped: at half
    // the day it stood at ~$0.30).
    for (const f of [0.25, 0.5, 0.75]) {
      const rows = await strokeRows(Math.round(left + width * f));
      expect(rows.length).toBeGreaterThan(0);
      for (const y of rows) expect(Math.abs(y - zero)).toBeLessThanOrEqual(4);
    }
    // After the last charge, flat to now at the spend: the plot's last column.
    const last = await strokeRows(Math.round(left + width - 3));
    expect(last.length).toBeGreaterThan(0);
    for (const y of last) expect(Math.abs(y - spent)).toBeLessThanOrEqual(4);
    expect(errors).toEqual([]);
    await close();
  });
});
