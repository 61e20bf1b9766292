// The job page of a very chatty job, in Debian Chromium against the real local server: a feed of 2,100 progress
// events and 21,000 log lines (a few minutes of an engine's output) replays into a page that builds only the 2,000
// rows and 5,000 lines it keeps, and says how many older ones it left out. Each line used to be built as DOM nodes,
// with a layout per event, and then removed again: a 200,000-line log kept the tab busy for three minutes.
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Assignment } from "../../src/shared/protocol.ts";
import { WsFactory } from "../support/ws-factory.ts";
import { closeContext, launchChromium, newPage, signIn } from "./chromium.ts";
import { ADMIN, adminApi, type Harness, startHarness } from "./harness.ts";

const PRODUCT = "scale-job";
/** The replay of thousands of events on a busy two-core machine; never a delay. */
const REPLAY = { timeout: 120_000 };
/** Progress frames the factory sends, each with a percentage (a timeline row) and LINES log lines. */
const FRAMES = 2100;
const LINES = 10;

/** Counts, from before the page's first script, every log line and timeline row the page ever inserts. */
const COUNT_BUILT = `
  window.__built = { lines: 0, rows: 0 };
  new MutationObserver((records) => {
    for (const r of records)
      for (const n of r.addedNodes) {
        if (!(n instanceof Element)) continue;
        if (n.matches(".log .line")) window.__built.lines++;
        else if (n.matches(".timeline li.event")) window.__built.rows++;
      }
  }).observe(document, { childList: true, subtree: true });
`;

describe("dashboard: the job page of a job with a very long feed", () => {
  let h: Harness;
  let browser: Browser;
  let factory: WsFactory;
  let job = "";
  const api = adminApi(() => h.url, PRODUCT);

  beforeAll(async () => {
    h = await startHarness();
    await api("PATCH", "/settings", { leaseTtlSeconds: 3600 });
    const enrolled = await api<{ token: string }>("POST", "/factories/enroll", { name: "chatty-host", seats: 1 });
    factory = await WsFactory.connect(h.url, PRODUCT, enrolled.token, {
      seats: 1,
      autoComplete: false,
      leaseTtlSeconds: 3600,
    });
    job = (await api<{ id: string }>("POST", "/jobs", { manifest: { title: "Chatty" } })).id;
    const deadline = Date.now() + 30_000; // beforeAll has no expect.poll
    const pushed = (): Assignment | undefined => factory.assignments.find((x) => x.job.id === job);
    while (!pushed()) {
      if (Date.now() > deadline) throw new Error(`job ${job} was never pushed to the factory`);
      await new Promise((r) => setTimeout(r, 25));
    }
    const a = pushed() as Assignment;
    const lease = { jobId: job, leaseEpoch: a.leaseEpoch };
    expect((await factory.request({ type: "accept", ...lease })).type).toBe("ack");
    for (let f = 0; f < FRAMES; f++) {
      const logs = Array.from({ length: LINES }, (_, i) => ({
        stream: "stdout",
        text: `line ${f * LINES + i}`,
        at: 1,
      }));
      const reply = await factory.request({ type: "progress", ...lease, pct: (f * 100) / FRAMES, logs });
      if (reply.type !== "ack") throw new Error(`progress ${f}: ${JSON.stringify(reply)}`);
    }
    browser = await launchChromium();
  });

  afterAll(async () => {
    factory?.close();
    await browser?.close();
    await h?.close();
  });

  it("builds only the rows and lines it keeps, and says how many older ones it left out", async () => {
    const { context, page, errors } = await newPage(browser);
    await page.addInitScript(COUNT_BUILT);
    await signIn(page, h.url, ADMIN, PRODUCT);
    await page.goto(`${h.url}/#/jobs/${job}`);
    await page.locator(".feed-state.feed-live").waitFor(REPLAY);
    const notice = page.locator("#timeline-dropped");
    // 21,000 lines, 5,000 kept; 2,100 progress rows plus the job's own (submitted, stages, lease), 2,000 kept.
    await expect.poll(() => notice.textContent(), REPLAY).toMatch(/^1\d\d older events and 16,000 older log lines/);
    expect(await page.locator(".log .line").count()).toBe(5000);
    expect(await page.locator(".log .line .x").first().textContent()).toBe("line 16000");
    expect(await page.locator(".log .line .x").last().textContent()).toBe(`line ${FRAMES * LINES - 1}`);
    expect(await page.locator(".timeline li.event").count()).toBe(2000);
    expect(await page.locator(".timeline li.event").last().getAttribute("data-type")).toBe("progress");
    const built = (await page.evaluate("window.__built")) as { lines: number; rows: number };
    expect(built).toEqual({ lines: 5000, rows: 2000 });
    expect(errors).toEqual([]);
    await closeContext(context);
  });
});
