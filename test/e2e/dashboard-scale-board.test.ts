// The jobs board of a product with hundreds of jobs, in Debian Chromium against the real local server: a press of
// "Load more" whose answer lands after a refetch (new jobs made the queue version move) lists every job once, in the
// server's order — it used to append its older page under the newer first page, so the jobs in between were missing
// — and rows loaded past the API's page limit (500) survive a refetch instead of falling back to 500. A title that
// draws nothing (" ", zero-width spaces, a lone bidi override: the API takes any non-empty title) reads "(untitled)"
// as a link that opens its job; it was a link of no width, which nobody could click.
import type { Browser, Page, Route } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeContext, launchChromium, newPage, signIn } from "./chromium.ts";
import { ADMIN, adminApi, type Harness, startHarness } from "./harness.ts";
import { settledRead } from "./one-read.ts";

const PRODUCT = "scale-board";
/** A server answer on a busy two-core machine; never a delay. */
const SOON = { timeout: 15_000 };
/** The board re-reads on the shared poller's tick, which may come late on a loaded machine. */
const REDRAW = { timeout: 30_000 };
const JOBS = 560;

describe("dashboard: the jobs board past one page", () => {
  let h: Harness;
  let browser: Browser;
  const api = adminApi(() => h.url, PRODUCT);
  const submit = async (title: string) => (await api<{ id: string }>("POST", "/jobs", { manifest: { title } })).id;
  /** The server's newest `n` job ids, as the board lists them (pages of at most 500). */
  async function newest(n: number) {
    const ids: string[] = [];
    let cursor = "";
    do {
      const q = `limit=${Math.min(500, n - ids.length)}&fields=summary${cursor ? `&cursor=${cursor}` : ""}`;
      const page = await api<{ jobs: Array<{ id: string }>; nextCursor?: string }>("GET", `/jobs?${q}`);
      ids.push(...page.jobs.map((j) => j.id));
      cursor = page.nextCursor ?? "";
    } while (cursor && ids.length < n);
    return ids;
  }
  const rows = (page: Page) =>
    page.locator("tr[data-job]").evaluateAll((trs) => trs.map((tr) => tr.getAttribute("data-job")));

  beforeAll(async () => {
    h = await startHarness();
    // No factory: every job stays queued.
    for (let i = 0; i < JOBS; i += 20) await Promise.all(Array.from({ length: 20 }, (_, k) => submit(`Job ${i + k}`)));
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await h?.close();
  });

  async function open() {
    const { context, page, errors } = await newPage(browser);
    await signIn(page, h.url, ADMIN, PRODUCT);
    await page.goto(`${h.url}/#/jobs`);
    await expect.poll(async () => (await rows(page)).length, REDRAW).toBe(50);
    return { page, errors, close: () => closeContext(context) };
  }

  it("lists every job once when a refetch lands while a press of Load more is out", async () => {
    const { page, errors, close } = await open();
    // From here every read of the list is held, to be answered newest first.
    const held: Route[] = [];
    let holding = true;
    await page.route(
      (u) => u.pathname.endsWith("/jobs"),
      (route) => (holding && route.request().method() === "GET" ? void held.push(route) : route.continue()),
    );
    await page.getByRole("button", { name: "Load more" }).click();
    await expect.poll(() => held.length, SOON).toBe(1);
    // Three new jobs move the queue version: the board refetches while the press's read is out.
    const added = [await submit("New 1"), await submit("New 2"), await submit("New 3")];
    await expect.poll(() => held.length, REDRAW).toBeGreaterThanOrEqual(2);
    holding = false;
    const [older, ...newer] = held.splice(0);
    for (const route of newer.reverse()) await route.continue();
    await expect.poll(async () => (await rows(page))[0], SOON).toBe(added[2]);
    await older!.continue();
    await (await older!.request().response())?.finished();
    // Busy is `aria-disabled` (busy.js), which isEnabled does not read: wait for the read's redraw to let it go.
    const more = page.getByRole("button", { name: "Load more" });
    await expect.poll(() => more.getAttribute("aria-disabled"), SOON).toBe(null);
    const shown = await rows(page);
    expect(shown).toHaveLength(100);
    expect(shown).toEqual(await newest(100));
    expect(errors).toEqual([]);
    await close();
  });

  it("keeps rows loaded past the API's page limit through a refetch", async () => {
    const { page, errors, close } = await open();
    const more = page.getByRole("button", { name: "Load more" });
    for (let n = 100; n <= 550; n += 50) {
      await more.click();
      await expect.poll(async () => (await rows(page)).length, SOON).toBe(n);
    }
    const id = await submit("Newest");
    await expect.poll(async () => (await rows(page))[0], REDRAW).toBe(id);
    const shown = await rows(page);
    expect(shown).toHaveLength(550);
    expect(shown).toEqual(await newest(550));
    expect(await more.isVisible()).toBe(true);
    expect(errors).toEqual([]);
    await close();
  });

  it("draws a title that draws nothing as an (untitled) link that opens its job", async () => {
    const blank = [" ", "\u200b\u200b", "\u202e", "\u3164"];
    const ids: string[] = [];
    for (const title of blank) ids.push(await submit(title));
    const { page, errors, close } = await open();
    for (const id of ids) {
      // Its words and its width in one look (settledRead): a poll for the words then a boundingBox() of the link was
      // two looks, and the board drawn anew between them (its rows are redrawn at each read of the list: the poller's
      // tick after a version change) gave the replaced link's box — null, read as no width at all.
      const link = page.locator(`tr[data-job="${id}"] td.title a`);
      const drawn = await settledRead(
        async () =>
          (
            await link.evaluateAll((els) =>
              els.map((a) => ({ text: a.textContent, width: a.getBoundingClientRect().width })),
            )
          ).find((a) => a.text === "(untitled)"),
        `job ${id}'s link drawn (untitled)`,
        REDRAW,
      );
      expect(drawn.width).toBeGreaterThan(10);
    }
    await page.locator(`tr[data-job="${ids[2]}"] td.title a`).click();
    await expect.poll(() => page.locator("#job-title").textContent(), SOON).toBe("(untitled)");
    expect(await page.title()).toBe("(untitled) · Gigafactory");
    expect(errors).toEqual([]);
    await close();
  });
});
