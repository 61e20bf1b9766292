// A job page's Log panel, in Debian Chromium against the real local server, for a job whose run uploaded `log.txt`
// and whose feed carries no `log` lines (a finished job's, replayed): the panel shows the file's last 64 KiB under a
// line naming it and its size, the cut first line left out, and not "No log output yet." (it said that beside a
// log.txt, pass 43); a job with neither feed lines nor log.txt still says "No log output yet.", and once it has ended
// (cancelled) that none was streamed nor uploaded — not "yet".
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeContext, launchChromium, signIn as signInAs } from "./chromium.ts";
import { ADMIN, adminApi, type Harness, startHarness } from "./harness.ts";

const PRODUCT = "log-file-panel";
/** A server answer on a busy two-core machine; never a delay. */
const SOON = { timeout: 15_000 };

describe("dashboard: the Log panel shows the job's log.txt", () => {
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

  const signIn = (page: Page) => signInAs(page, h.url, ADMIN, PRODUCT);

  /** The Log panel's section. */
  const logPanel = (page: Page) => page.locator("section", { has: page.locator("#log-title") });

  it("shows the tail of log.txt, not 'No log output yet.'", async () => {
    const jobId = (await api<{ id: string }>("POST", "/jobs", { manifest: { title: "Has a log file" } })).id;
    // 2000 lines of 50 bytes: 100,000 bytes, past the 64 KiB the panel reads.
    const lines = Array.from({ length: 2000 }, (_, i) => `line ${String(i).padStart(5, "0")} ${"x".repeat(38)}`);
    const up = await fetch(`${h.url}/api/v1/products/${PRODUCT}/jobs/${jobId}/artifacts?name=log.txt`, {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN}`, "content-type": "text/plain" },
      body: `${lines.join("\n")}\n`,
    });
    expect(up.status).toBe(201);
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await signIn(page);
    await page.goto(`${h.url}/#/jobs/${jobId}`);
    const file = logPanel(page).locator("pre.log-file");
    await file.waitFor(SOON);
    const text = String(await file.textContent());
    expect(text.endsWith(`${lines.at(-1)}\n`)).toBe(true);
    expect(text).not.toContain(lines[0]);
    expect(text.split("\n")[0]).toMatch(/^line \d{5} x{38}$/); // a whole line first: the cut one is left out
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(64 * 1024);
    const about = String(await logPanel(page).locator("#log-file-about").textContent());
    expect(about).toContain("log.txt");
    expect(about).toContain("in Artifacts");
    expect(about).toMatch(/its last 64(\.0)? KiB of/);
    expect(await logPanel(page).getByText("No log output yet.").isVisible()).toBe(false);
    expect(errors).toEqual([]);
    await closeContext(context);
  });

  it("says 'No log output yet.' for a job with no log lines and no log.txt, and that none came once it ended", async () => {
    const jobId = (await api<{ id: string }>("POST", "/jobs", { manifest: { title: "No log at all" } })).id;
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    await signIn(page);
    await page.goto(`${h.url}/#/jobs/${jobId}`);
    await page.locator("ul.artifacts li.empty").waitFor(SOON);
    expect(await logPanel(page).getByText("No log output yet.").isVisible()).toBe(true);
    expect(await logPanel(page).locator("pre.log-file").isVisible()).toBe(false);
    await api("POST", `/jobs/${jobId}/actions/cancel`, {});
    await logPanel(page).getByText("No log output: none was streamed and no log.txt was uploaded.").waitFor(SOON);
    await closeContext(context);
  });
});
