// The board's serial-gates panel and the alerts page past one page of the API, in Debian Chromium against the real
// local server, a cut first page served by page.route (more than 200 keys or alerts is slow to make for real): a
// queued job whose serial key is frozen keeps its "frozen" badge when the key is not on the panel's first page (the
// frozen set comes from the settings then, not from the cut list); the panel says how many keys it shows and
// "Show more keys" reads the next page from the real server; the Resolved view's "Show older alerts" appends the
// older page, one per press (disabled while out), a failed older read says so and the next press reads it, and the
// Live view says which state's list is cut; a 375 px phone does not scroll sideways with either button shown; the
// header and the stage chips count 124 queued jobs exactly (one GET …/stats, not a capped page of each stage). Next
// is the gate's `next`, never a queue head in retry backoff; with none due, when one becomes due. An alert's opening
// time is said to the second, as every list's age (it said milliseconds).
import type { Browser, Page, Route } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeContext, fetchRoute, launchChromium } from "./chromium.ts";
import { ADMIN, adminApi, type Harness, startHarness } from "./harness.ts";

const PRODUCT = "paged-lists";
/** A server answer on a busy two-core machine; never a delay. */
const SOON = { timeout: 15_000 };
/** The board re-reads on the shared poller's tick, which may come late on a loaded machine. */
const REDRAW = { timeout: 30_000 };
const FROZEN = "zz-frozen";

/** A resolved alert as GET …/alerts answers it, made up for the routed pages. */
const alert = (n: number) => ({
  id: `al_${String(n).padStart(12, "0")}`,
  kind: "breaker_open",
  subject: `factory-${n}`,
  severity: "warning",
  state: "resolved",
  message: `Alert number ${n}`,
  openedAt: 1_700_000_000_000 + n,
  resolvedAt: 1_700_000_000_500 + n,
});

describe("dashboard: serial keys and alerts past one page", () => {
  let h: Harness;
  let browser: Browser;
  let heldJob = "";

  const api = adminApi(() => h.url, PRODUCT);

  beforeAll(async () => {
    h = await startHarness();
    // No factory: every job stays queued, each holding its key's queue. The frozen key sorts last.
    for (const serialKey of ["a-1", "a-2", "a-3"])
      await api("POST", "/jobs", { manifest: { title: serialKey, serialKey } });
    heldJob = (await api<{ id: string }>("POST", "/jobs", { manifest: { title: "Held", serialKey: FROZEN } })).id;
    await api("POST", `/serial/${FROZEN}/freeze`, { reason: "the deploy target is down" });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await h?.close();
  });

  /** The dashboard at `hash`, `width` px wide, signed in as the admin; `errors` collects uncaught exceptions. */
  async function open(hash: string, width: number, routes: (page: Page) => Promise<void>) {
    const context = await browser.newContext({ viewport: { width, height: 800 } });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await routes(page);
    await page.goto(`${h.url}/`);
    await page.getByLabel("Token").fill(ADMIN);
    await page.getByLabel("Product").fill(PRODUCT);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("button", { name: "Sign out" }).waitFor();
    await page.goto(`${h.url}/${hash}`);
    return { page, errors, close: () => closeContext(context) };
  }
  const extra = (page: Page) =>
    page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth");

  /** The real first page of keys without the frozen one, cut where a longer list would be: a nextCursor follows. */
  const cutSerial = (page: Page) =>
    page.route(
      (url) => url.pathname.endsWith("/serial") && !url.searchParams.has("cursor"),
      async (route: Route) => {
        const response = await fetchRoute(route);
        const real = (await response.json()) as { keys: Array<{ key: string }> };
        const keys = real.keys.filter((g) => g.key !== FROZEN);
        await route.fulfill({ response, json: { keys, nextCursor: keys[keys.length - 1]?.key } });
      },
    );
  const panelKeys = (page: Page) =>
    page.locator("tr[data-serial-key]").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-serial-key")));

  it("keeps the frozen badge of a key past the panel's first page, and pages the panel on", async () => {
    const { page, errors, close } = await open("#/jobs", 1280, cutSerial);
    await expect.poll(() => panelKeys(page), REDRAW).toEqual(["a-1", "a-2", "a-3"]);
    // The key is off the panel's page, and the job it holds back still says so.
    await expect.poll(() => page.locator(`tr[data-job="${heldJob}"] .frozen`).count(), REDRAW).toBe(1);
    expect(await page.locator("#serial-cut").textContent()).toBe("Showing the first 3 keys; more follow.");
    await page.getByRole("button", { name: "Show more keys" }).click();
    await expect.poll(() => panelKeys(page), SOON).toEqual(["a-1", "a-2", "a-3", FROZEN]);
    expect(await page.getByRole("button", { name: "Show more keys" }).isVisible()).toBe(false);
    expect(await page.locator("#serial-cut").isVisible()).toBe(false);
    expect(await page.locator(`tr[data-job="${heldJob}"] .frozen`).count()).toBe(1);
    expect(errors).toEqual([]);
    await close();
  });

  it("names the gate's next job in the Next column, not a queue head in backoff, or when one becomes due", async () => {
    const dueAt = Date.UTC(2030, 0, 2, 3, 4, 5);
    const { page, errors, close } = await open("#/jobs", 1280, (p) =>
      p.route(
        (url) => url.pathname.endsWith("/serial"),
        async (route: Route) => {
          const response = await fetchRoute(route);
          const real = (await response.json()) as { keys: Array<{ key: string; queue: string[] }> };
          // a-1: a more urgent job in backoff heads the queue, the due one is next; a-2: nothing due.
          const keys = real.keys.map((g) =>
            g.key === "a-1"
              ? { ...g, queue: ["job_in_backoff", ...g.queue], next: g.queue[0] }
              : g.key === "a-2"
                ? { ...g, queue: ["job_in_backoff"], next: null, nextDueAt: dueAt }
                : g,
          );
          await route.fulfill({ response, json: { ...real, keys } });
        },
      ),
    );
    const nextCell = (key: string) => page.locator(`tr[data-serial-key="${key}"] td`).nth(3).textContent();
    await expect.poll(() => panelKeys(page), REDRAW).toContain("a-2");
    expect(await nextCell("a-1")).toMatch(/^job_/);
    expect(await nextCell("a-1")).not.toBe("job_in_backoff");
    expect(await nextCell("a-2")).toMatch(/^none due \(next at .+\)$/);
    expect(errors).toEqual([]);
    await close();
  });

  it("fits a 375 px phone with the panel cut and its button shown", async () => {
    const { page, errors, close } = await open("#/jobs", 375, cutSerial);
    await page.getByRole("button", { name: "Show more keys" }).waitFor(REDRAW);
    expect(await extra(page)).toBe(0);
    expect(errors).toEqual([]);
    await close();
  });

  /** Resolved alerts 250…51 on the first page (a nextCursor), 50…1 on the older one; `reads` counts older reads. */
  const resolvedPages =
    (reads: { older: number }, held: Promise<void> = Promise.resolve()) =>
    (page: Page) =>
      page.route(
        (url) => url.pathname.endsWith("/alerts") && url.searchParams.get("state") === "resolved",
        async (route: Route) => {
          const cursor = new URL(route.request().url()).searchParams.get("cursor");
          if (!cursor) {
            const alerts = Array.from({ length: 200 }, (_, i) => alert(250 - i));
            return route.fulfill({ json: { alerts, nextCursor: alerts[199]!.id } });
          }
          reads.older++;
          await held;
          expect(cursor).toBe(alert(51).id);
          return route.fulfill({ json: { alerts: Array.from({ length: 50 }, (_, i) => alert(50 - i)) } });
        },
      );
  const alertIds = (page: Page) =>
    page.locator('[data-testid="alert-row"]').evaluateAll((rows) => rows.map((r) => r.getAttribute("data-alert-id")));

  it("appends the older resolved alerts on a press, one page per press, until none is left", async () => {
    let answer: () => void = () => {};
    const held = new Promise<void>((r) => {
      answer = r;
    });
    const reads = { older: 0 };
    const { page, errors, close } = await open("#/alerts?state=resolved", 1280, resolvedPages(reads, held));
    const older = page.getByRole("button", { name: "Show older alerts" });
    await expect.poll(() => alertIds(page), SOON).toHaveLength(200);
    // When it opened, to the second, as every list's age says it (the CLI's times too): it said milliseconds in UTC.
    const opened = page.locator('[data-testid="alert-row"] td:nth-child(4)').first();
    const local = await page.evaluate(
      (at) => new Intl.DateTimeFormat(undefined, { dateStyle: "short", timeStyle: "medium" }).format(new Date(at)),
      alert(250).openedAt,
    );
    expect(await opened.getAttribute("title")).toBe(local);
    await older.dblclick();
    await expect.poll(() => older.isDisabled(), SOON).toBe(true);
    answer();
    const all = Array.from({ length: 250 }, (_, i) => alert(250 - i).id);
    await expect.poll(() => alertIds(page), SOON).toEqual(all);
    expect(await older.isVisible()).toBe(false);
    expect(reads.older).toBe(1);
    expect(errors).toEqual([]);
    await close();
  });

  it("says so when older alerts cannot be read, and reads them on the next press", async () => {
    const { page, errors, close } = await open("#/alerts?state=resolved", 1280, resolvedPages({ older: 0 }));
    const older = page.getByRole("button", { name: "Show older alerts" });
    await expect.poll(() => alertIds(page), SOON).toHaveLength(200);
    // Routes added later are tried first: this one fails the first older read only.
    await page.route(
      (url) => url.searchParams.has("cursor"),
      (route) => route.abort(),
      { times: 1 },
    );
    await older.click();
    await expect.poll(() => page.locator("#alerts-status").textContent(), SOON).toMatch(/^Cannot load older alerts/);
    expect(await alertIds(page)).toHaveLength(200);
    expect(await older.isEnabled()).toBe(true);
    await older.click();
    await expect.poll(() => alertIds(page), SOON).toHaveLength(250);
    expect(await page.locator("#alerts-status").textContent()).toBe(""); // the read worked: its failure is not said
    expect(errors).toEqual([]);
    await close();
  });

  it("fits a 375 px phone with the older-alerts button shown", async () => {
    const { page, errors, close } = await open("#/alerts?state=resolved", 375, resolvedPages({ older: 0 }));
    await page.getByRole("button", { name: "Show older alerts" }).waitFor(SOON);
    expect(await extra(page)).toBe(0);
    expect(errors).toEqual([]);
    await close();
  });

  it("says in the live view which state's list is cut", async () => {
    const openCut = (page: Page) =>
      page.route(
        (url) => url.pathname.endsWith("/alerts") && url.searchParams.get("state") === "open",
        (route: Route) => {
          const alerts = [1, 2].map((n) => ({ ...alert(n), state: "open" }));
          return route.fulfill({ json: { alerts, nextCursor: alerts[1]!.id } });
        },
      );
    const { page, errors, close } = await open("#/alerts", 1280, openCut);
    await expect.poll(() => alertIds(page), SOON).toHaveLength(2);
    await expect
      .poll(() => page.locator("#alerts-cut").textContent(), SOON)
      .toBe("Only the newest 200 open alerts are listed: the open filter shows older ones.");
    expect(await page.getByRole("button", { name: "Show older alerts" }).isVisible()).toBe(false);
    expect(errors).toEqual([]);
    await close();
  });

  // Last in the file: 120 newer jobs push the held job off the board's first page.
  it("counts every job in the header and the stage chips, past 100 in a stage, from one stats read", async () => {
    const items = Array.from({ length: 120 }, (_, i) => ({ markdown: `# Bulk ${i}` }));
    await api("POST", "/jobs:batch", { items });
    const queued = async () => (await api<{ counts: Record<string, number> }>("GET", "/stats")).counts.queued;
    await expect.poll(queued, REDRAW).toBe(124); // the batch goes through the dispatch queue
    const listReads: string[] = [];
    const { page, errors, close } = await open("#/jobs", 1280, async (p) => {
      p.on("request", (r) => {
        const u = new URL(r.url());
        if (u.pathname.endsWith("/jobs") && u.searchParams.has("stage")) listReads.push(u.search);
      });
    });
    // The page listed each stage, 100 at most, and said "100+": the count is exact now.
    await expect.poll(() => page.locator('a[data-stage="queued"] .count').textContent(), REDRAW).toBe("124");
    expect(await page.locator('a[data-stage="all"] .count').textContent()).toBe("124");
    await expect.poll(() => page.locator("#summary .counts").textContent(), REDRAW).toContain("124 jobs");
    expect(await page.locator("#summary .counts").textContent()).toContain("124 queued");
    expect(listReads).toEqual([]); // the poller reads GET …/stats, not a page of every stage
    expect(errors).toEqual([]);
    await close();
  });
});
