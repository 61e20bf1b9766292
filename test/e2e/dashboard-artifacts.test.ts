// A job page's artifacts panel, in Debian Chromium against the real local server, when its reads race: the page's
// first read of the list is answered late (held by page.route, its answer read from the server before the upload),
// after the re-read an `artifact.added` event made — and the panel keeps the newer list (before, the older answer
// drew last: "No artifacts yet." about a job that had one, until some later artifact event). And an upload whose
// event comes while the job's own first read is still out re-reads the panel (the event was dropped then). A list
// cursor handed out twice fails the panel's read, said in its status line, after two pages (it was followed for ever).
import type { Browser, Page, Route } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeContext, fetchRoute, launchChromium, signIn as signInAs } from "./chromium.ts";
import { ADMIN, adminApi, type Harness, startHarness } from "./harness.ts";

const PRODUCT = "artifacts-panel";
/** A server answer on a busy two-core machine; never a delay. */
const SOON = { timeout: 15_000 };

/**
 * Counts, in the page, the artifact list answers whose body has been read (as text, bytes or JSON — the page reads
 * bytes since pass 38's foreign-answer check, and a count of `text()` alone stayed 0): the panel draws from an answer
 * in the same task as its body resolves, so once the count reaches n, n answers have been drawn or set aside.
 */
const COUNT_LIST_ANSWERS = `{
  window.__listAnswers = 0;
  const counted = new WeakSet();
  for (const how of ["text", "arrayBuffer", "json"]) {
    const read = Response.prototype[how];
    Response.prototype[how] = function () {
      const list = new URL(this.url).pathname.endsWith("/artifacts");
      return read.call(this).then((body) => {
        if (list && !counted.has(this)) (counted.add(this), window.__listAnswers++);
        return body;
      });
    };
  }
}`;

describe("dashboard: the artifacts panel when its reads overlap", () => {
  let h: Harness;
  let browser: Browser;
  const api = adminApi(() => h.url, PRODUCT);

  beforeAll(async () => {
    h = await startHarness();
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await h?.close();
  });

  /** Sign in as the admin on this product. */
  const signIn = (page: Page) => signInAs(page, h.url, ADMIN, PRODUCT);

  /** Upload `name` to `jobId` as the admin. */
  async function upload(jobId: string, name: string) {
    const up = await fetch(`${h.url}/api/v1/products/${PRODUCT}/jobs/${jobId}/artifacts?name=${name}`, {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN}`, "content-type": "text/plain" },
      body: "uploaded after the page opened",
    });
    expect(up.status).toBe(201);
  }

  /** The names the panel lists. */
  const listed = (page: Page) =>
    page.locator("ul.artifacts li[data-artifact]").evaluateAll((li) => li.map((x) => x.getAttribute("data-artifact")));

  it("keeps the newer list when the page's first read is answered after an event's re-read", async () => {
    const jobId = (await api<{ id: string }>("POST", "/jobs", { manifest: { title: "Has artifacts" } })).id;
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await page.addInitScript(COUNT_LIST_ANSWERS);
    await signIn(page);

    // The first read of the list is answered by the server now (no artifacts yet), and handed to the page later.
    let first: { route: Route; answer: Awaited<ReturnType<Route["fetch"]>> } | undefined;
    await page.route(
      (u) => u.pathname.endsWith(`/jobs/${jobId}/artifacts`),
      async (route) => {
        if (first) return route.continue();
        first = { route, answer: await fetchRoute(route) };
      },
    );
    await page.goto(`${h.url}/#/jobs/${jobId}`);
    await expect.poll(() => first !== undefined, SOON).toBe(true);
    await expect.poll(() => page.locator("#job-title").textContent(), SOON).toBe("Has artifacts");

    // An upload: its event makes the panel read the list again, and that answer is drawn.
    await upload(jobId, "late.txt");
    await expect.poll(() => listed(page), SOON).toEqual(["late.txt"]);

    // Now the first read's older answer arrives; once the page has read it, the panel still lists the upload.
    await first!.route.fulfill({ response: first!.answer });
    const answers = () => page.evaluate<number>("window.__listAnswers");
    await expect.poll(answers, SOON).toBeGreaterThanOrEqual(2);
    expect(await listed(page)).toEqual(["late.txt"]);
    expect(await page.locator("ul.artifacts li.empty").count()).toBe(0);
    expect(errors).toEqual([]);
    await closeContext(context);
  });

  it("re-reads the list on an upload's event while the job's own first read is still out", async () => {
    const jobId = (await api<{ id: string }>("POST", "/jobs", { manifest: { title: "Read late" } })).id;
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await signIn(page);
    // The page's read of the job itself is held; the panel's own read of the list is not.
    const held: Route[] = [];
    await page.route(
      (u) => u.pathname.endsWith(`/jobs/${jobId}`),
      (route) => {
        held.push(route);
      },
    );
    await page.goto(`${h.url}/#/jobs/${jobId}`);
    await page.locator("ul.artifacts li.empty").waitFor(SOON);
    await upload(jobId, "early.txt");
    await page.locator('.timeline li[data-type="artifact.added"]', { hasText: "early.txt" }).waitFor(SOON);
    await expect.poll(() => listed(page), SOON).toEqual(["early.txt"]);
    expect(held.length).toBeGreaterThan(0);
    expect(await page.locator("#job-title").textContent()).toBe("Loading…");
    for (const r of held.splice(0)) await r.continue();
    await expect.poll(() => page.locator("#job-title").textContent(), SOON).toBe("Read late");
    expect(errors).toEqual([]);
    await closeContext(context);
  });

  it("fails the panel's read on a list cursor handed out twice, instead of paging for ever", async () => {
    const jobId = (await api<{ id: string }>("POST", "/jobs", { manifest: { title: "Looping list" } })).id;
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await signIn(page);
    // The same cursor on every page; after 50 the stand-in stops, so a panel that follows it ends (and fails here).
    // Counted per read: a re-read of the panel (a gap in the feed resumed on a loaded machine reads every panel
    // again; a reconnect did, before) is a first page more, and each read may follow the repeated cursor once — a CI run saw 4 pages for 2 reads.
    let pages = 0;
    let firstPages = 0;
    const item = { jobId, name: "a.txt", size: 1, contentType: "text/plain", sha256: "0".repeat(64), createdAt: 1 };
    await page.route(
      (u) => u.pathname.endsWith(`/jobs/${jobId}/artifacts`),
      (route) => {
        pages++;
        if (!new URL(route.request().url()).searchParams.has("cursor")) firstPages++;
        return route.fulfill({ json: { artifacts: [item], ...(pages < 50 ? { nextCursor: "a.txt" } : {}) } });
      },
    );
    await page.goto(`${h.url}/#/jobs/${jobId}`);
    const panel = page.locator("section", { has: page.locator("#artifacts-title") });
    await expect.poll(() => panel.locator(".status").textContent(), SOON).toContain('cursor "a.txt" twice');
    // Every read has ended after its second page (none still following the cursor).
    await expect.poll(() => pages, SOON).toBe(2 * firstPages);
    expect(firstPages).toBeGreaterThanOrEqual(1);
    expect(errors).toEqual([]);
    await closeContext(context);
  });
});
