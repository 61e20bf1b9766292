// The budget page's buttons under a double click, in Debian Chromium against the real local server: over an
// exhausted budget that an operator also paused, a double click on Resume sends one resume — it lifts the operator's
// pause and leaves exhaustion's in force, as one press should. It sent two, and the second lifted the exhaustion
// pause too: dispatch ran on past the ceiling (an overrun) on one gesture. The buttons stay greyed out while an
// action is out, whatever a poll draws meanwhile.
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Assignment } from "../../src/shared/protocol.ts";
import { inOneBudgetPeriod } from "../support/budget-period-run.ts";
import { WsFactory } from "../support/ws-factory.ts";
import { closeContext, launchChromium, newPage, signIn } from "./chromium.ts";
import { ADMIN, adminApi, type Harness, startHarness } from "./harness.ts";

const PRODUCT = "scale-actions";
/** A server answer on a busy two-core machine; never a delay. */
const SOON = { timeout: 15_000 };

describe("dashboard: the budget page's buttons under a double click", () => {
  let h: Harness;
  let browser: Browser;
  const factories: WsFactory[] = [];

  /**
   * `product`'s budget exhausted and paused by an operator as well: $2 spent of a $1 daily ceiling, then a pause.
   * Each test seeds its own, within the run that reads it (test/support/budget-period-run): spend seeded before a
   * midnight UTC is not the next day's, whose budget is no longer exhausted.
   */
  async function exhaustedAndPaused(product: string) {
    const api = adminApi(() => h.url, product);
    const budget = () => api<{ state: string; pausedBy?: string }>("GET", "/budget");
    await api("PUT", "/budget", { period: "day", ceilingUsd: 1, onExhausted: "pause" });
    const enrolled = await api<{ token: string }>("POST", "/factories/enroll", { name: "spender", seats: 1 });
    const factory = await WsFactory.connect(h.url, product, enrolled.token, { seats: 1, autoComplete: false });
    factories.push(factory);
    const job = (await api<{ id: string }>("POST", "/jobs", { manifest: { title: "Costly" } })).id;
    const pushed = (): Assignment | undefined => factory.assignments.find((x) => x.job.id === job);
    await expect.poll(() => pushed() !== undefined, { timeout: 30_000, message: `job ${job} pushed` }).toBe(true);
    const lease = { jobId: job, leaseEpoch: (pushed() as Assignment).leaseEpoch };
    expect((await factory.request({ type: "accept", ...lease })).type).toBe("ack");
    // $2 of a $1 ceiling: paused by exhaustion; then an operator pauses it as well.
    const spent = await factory.request({ type: "progress", ...lease, stage: "building", insights: { costUsd: 2 } });
    expect(spent.type).toBe("ack");
    await api("POST", "/budget/pause");
    expect(await budget()).toMatchObject({ state: "paused", pausedBy: "operator" });
    return { api, budget };
  }

  beforeAll(async () => {
    h = await startHarness();
    browser = await launchChromium();
  });

  afterAll(async () => {
    for (const f of factories) f.close();
    await browser?.close();
    await h?.close();
  });

  it("sends one resume per double click, and the exhaustion pause stays", () =>
    inOneBudgetPeriod(async (period) => {
      const product = period.product(PRODUCT);
      const { budget } = await exhaustedAndPaused(product);
      const { context, page, errors } = await newPage(browser);
      const sent: string[] = [];
      page.on("request", (r) => {
        const path = new URL(r.url()).pathname;
        if (r.method() === "POST" && /\/budget\/(pause|resume)$/.test(path)) sent.push(path.split("/").pop()!);
      });
      await signIn(page, h.url, ADMIN, product);
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
    }));

  it("drops a double click's second click that lands after the first answer", () =>
    inOneBudgetPeriod(async (period) => {
      const product = period.product(`${PRODUCT}-2`);
      // The first test's double click was one press only while its answer was out: on a loaded machine the second
      // click came after the answer and resumed again, lifting the exhaustion pause (a CI run saw it).
      const { budget } = await exhaustedAndPaused(product);
      const { context, page, errors } = await newPage(browser);
      const sent: string[] = [];
      page.on("request", (r) => {
        if (r.method() === "POST" && new URL(r.url()).pathname.endsWith("/budget/resume")) sent.push("resume");
      });
      await signIn(page, h.url, ADMIN, product);
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
    }));
});
