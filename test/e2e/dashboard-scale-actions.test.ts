// The budget page's buttons under a double click, in Debian Chromium against the real local server: over an
// exhausted budget that an operator also paused, a double click on Resume sends one resume — it lifts the operator's
// pause and leaves exhaustion's in force, as one press should. It sent two, and the second lifted the exhaustion
// pause too: dispatch ran on past the ceiling (an overrun) on one gesture. The buttons stay greyed out while an
// action is out, whatever a poll draws meanwhile.
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Assignment } from "../../src/shared/protocol.ts";
import { WsFactory } from "../support/ws-factory.ts";
import { closeContext, launchChromium, newPage, signIn } from "./chromium.ts";
import { ADMIN, adminApi, type Harness, startHarness } from "./harness.ts";

const PRODUCT = "scale-actions";
/** A server answer on a busy two-core machine; never a delay. */
const SOON = { timeout: 15_000 };

describe("dashboard: the budget page's buttons under a double click", () => {
  let h: Harness;
  let browser: Browser;
  let factory: WsFactory;
  const api = adminApi(() => h.url, PRODUCT);
  const budget = () => api<{ state: string; pausedBy?: string; overrun?: boolean }>("GET", "/budget");

  beforeAll(async () => {
    h = await startHarness();
    await api("PUT", "/budget", { period: "day", ceilingUsd: 1, onExhausted: "pause" });
    const enrolled = await api<{ token: string }>("POST", "/factories/enroll", { name: "spender", seats: 1 });
    factory = await WsFactory.connect(h.url, PRODUCT, enrolled.token, { seats: 1, autoComplete: false });
    const job = (await api<{ id: string }>("POST", "/jobs", { manifest: { title: "Costly" } })).id;
    const deadline = Date.now() + 30_000; // beforeAll has no expect.poll
    const pushed = (): Assignment | undefined => factory.assignments.find((x) => x.job.id === job);
    while (!pushed()) {
      if (Date.now() > deadline) throw new Error(`job ${job} was never pushed to the factory`);
      await new Promise((r) => setTimeout(r, 25));
    }
    const lease = { jobId: job, leaseEpoch: (pushed() as Assignment).leaseEpoch };
    expect((await factory.request({ type: "accept", ...lease })).type).toBe("ack");
    // $2 of a $1 ceiling: paused by exhaustion; then an operator pauses it as well.
    const spent = await factory.request({ type: "progress", ...lease, stage: "building", insights: { costUsd: 2 } });
    expect(spent.type).toBe("ack");
    await api("POST", "/budget/pause");
    expect(await budget()).toMatchObject({ state: "paused", pausedBy: "operator" });
    browser = await launchChromium();
  });

  afterAll(async () => {
    factory?.close();
    await browser?.close();
    await h?.close();
  });

  it("sends one resume per double click, and the exhaustion pause stays", async () => {
    const { context, page, errors } = await newPage(browser);
    const sent: string[] = [];
    page.on("request", (r) => {
      const path = new URL(r.url()).pathname;
      if (r.method() === "POST" && /\/budget\/(pause|resume)$/.test(path)) sent.push(path.split("/").pop()!);
    });
    await signIn(page, h.url, ADMIN, PRODUCT);
    await page.goto(`${h.url}/#/budget`);
    const resume = page.locator("[data-testid=budget-resume]");
    const state = page.locator("[data-testid=budget-state]");
    await expect.poll(() => resume.isEnabled(), SOON).toBe(true);
    await resume.dblclick();
    await expect.poll(() => state.textContent(), SOON).toBe("paused (exhausted)");
    await expect.poll(() => resume.isEnabled(), SOON).toBe(true); // the press is over: the next one may go
    expect(sent).toEqual(["resume"]);
    expect(await budget()).toMatchObject({ state: "paused", pausedBy: "exhausted" });

    expect(errors).toEqual([]);
    await closeContext(context);
  });

  it("drops a double click's second click that lands after the first answer", async () => {
    // The first test's double click was one press only while its answer was out: on a loaded machine the second
    // click came after the answer and resumed again, lifting the exhaustion pause (a CI run saw it).
    await api("POST", "/budget/pause");
    expect(await budget()).toMatchObject({ state: "paused", pausedBy: "operator" });
    const { context, page, errors } = await newPage(browser);
    const sent: string[] = [];
    page.on("request", (r) => {
      if (r.method() === "POST" && new URL(r.url()).pathname.endsWith("/budget/resume")) sent.push("resume");
    });
    await signIn(page, h.url, ADMIN, PRODUCT);
    await page.goto(`${h.url}/#/budget`);
    const resume = page.locator("[data-testid=budget-resume]");
    const state = page.locator("[data-testid=budget-state]");
    await expect.poll(() => resume.isEnabled(), SOON).toBe(true);
    const box = (await resume.boundingBox()) as { x: number; y: number; width: number; height: number };
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down({ clickCount: 1 });
    await page.mouse.up({ clickCount: 1 });
    await expect.poll(() => state.textContent(), SOON).toBe("paused (exhausted)");
    await expect.poll(() => resume.isEnabled(), SOON).toBe(true);
    // The same gesture's second click (detail 2), after the first answer is on screen.
    await page.mouse.down({ clickCount: 2 });
    await page.mouse.up({ clickCount: 2 });
    // The input is acknowledged once its handlers ran: a click that acted has greyed the button out by now (its
    // request out), or its answer has (overrun: nothing left to resume).
    expect(await resume.isEnabled()).toBe(true);
    // A keyboard press is a press of its own: it reaches the button (and is the operator's choice to overrun).
    await resume.press("Enter");
    await expect.poll(() => state.textContent(), SOON).toMatch(/^overrun/);
    expect(sent).toEqual(["resume", "resume"]);
    expect(await budget()).toMatchObject({ state: "overrun" });

    expect(errors).toEqual([]);
    await closeContext(context);
  });
});
