// The money-and-health views of the dashboard in a real browser (Debian Chromium via playwright-core) against the
// real local server, with state made through the API as a factory and an operator would make it (claims, fenced
// progress reports carrying `insights.costUsd`, failed runs): the budget page shows the spend, and under it the
// tokens a run reported with no USD (`unpricedTokens`: not in the spend), and its burndown chart
// holds it and draws the 80 % warning and 100 % ceiling lines on its canvas (their pixels are read back); Pause and
// then Resume pressed on the page pause and resume the budget (read back through the API), its next step naming the
// Resume while paused and gone after; the 80 % budget_warning is listed in the alerts panel and acknowledged from
// the page (the API then says `acknowledged`); the header shows
// the product's health as GET …/health has it; the fleet map shows an open breaker's badge on the factory that
// tripped it and a quarantine panel on the factory past its error budget, whose Release button makes it `active`
// again; the lessons page lists a lesson added through the API and adds one typed on the page; the metrics tiles
// show the API's numbers; Requeue of a job failed over its own budget shows the refusal's detail (what it spent),
// and with a raised job budget typed on the page requeues it. No page error and no CSP violation on the way.
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inOneBudgetPeriod } from "../support/budget-period-run.ts";
import { closeContext, launchChromium } from "./chromium.ts";
import { createProduct, type Harness, startHarness } from "./harness.ts";
import { keepBeating, setLongLived } from "./long-lived.ts";
import { ProductClient } from "./product-client.ts";

const PRODUCT = "dash-money";
const CEILING_USD = 10;
const SPENT_USD = 8.5; // past the 80 % warning ($8), short of the ceiling
/** How long a page or the API may take to show a state (two cores shared with other sessions); never a delay. */
const SOON = { timeout: 15_000 };

interface Budget {
  state: string;
  spentUsd: number;
  warnAtUsd: number;
  ceilingUsd: number;
  pausedBy?: string;
  burndown: Array<{ at: number; spentUsd: number }>;
}
interface Alert {
  id: string;
  kind: string;
  subject: string;
  state: string;
}
interface FactoryRow {
  id: string;
  status: string;
  statusReason?: string;
  breakers: Array<{ engine: string; state: string }>;
}
/** The little of the DOM the chart checks use (this project's tsconfig has no DOM lib: it runs in the page). */
interface ChartElement {
  dataset: Record<string, string | undefined>;
  querySelector(selector: "canvas"): {
    getContext(kind: "2d"): { getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> } };
  };
}
interface Lease {
  job: { id: string };
  lease: { leaseEpoch: number };
}

describe("dashboard: money and health in a real browser", () => {
  let h: Harness;
  let browser: Browser;
  let c: ProductClient;
  let operator = "";
  /** `tripped`: its claude breaker is open; `flaky`: quarantined by its error budget. */
  const f = { tripped: { id: "", token: "" }, flaky: { id: "", token: "" } };
  /** Stops the factories' heartbeats (beforeAll's, each spent product's): they stay up however long the file takes. */
  const stops: Array<() => void> = [];

  /** The factory `token` claims the next job; throws unless it got `jobId`. */
  async function claim(token: string, jobId: string): Promise<number> {
    const r = await c.api<Lease>("POST", "/claim", { leaseTtlSeconds: 3600 }, token);
    if (r.status !== 200 || r.body.job.id !== jobId) throw new Error(`claim: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body.lease.leaseEpoch;
  }

  /** A fenced report of the job's holder; throws unless accepted. */
  async function report(token: string, jobId: string, leaseEpoch: number, json: Record<string, unknown>) {
    const r = await c.api("PATCH", `/jobs/${jobId}`, { leaseEpoch, ...json }, token);
    if (r.status !== 200) throw new Error(`report ${jobId}: ${r.status} ${JSON.stringify(r.body)}`);
  }

  /** `n` new jobs, each claimed by `token` and failed for good (no retry in the way). */
  async function failRuns(token: string, n: number, engine?: string): Promise<void> {
    for (let i = 0; i < n; i++) {
      const job = await c.submit({ title: `doomed ${i}`, ...(engine ? { engine } : {}) });
      const epoch = await claim(token, job.id);
      await report(token, job.id, epoch, { stage: "failed", result: { outcome: "failure", rc: 1, retryable: false } });
    }
  }

  async function patchSettings(patch: Record<string, unknown>): Promise<void> {
    const r = await c.api("PATCH", "/settings", patch);
    if (r.status !== 200) throw new Error(`settings: ${r.status} ${JSON.stringify(r.body)}`);
  }

  const budget = async (of: ProductClient) => (await of.api<Budget>("GET", "/budget")).body;
  const alerts = async (of: ProductClient = c) => (await of.api<{ alerts: Alert[] }>("GET", "/alerts")).body.alerts;

  /**
   * Money: `product`, a product of its own with a daily budget and a running job whose engine has spent 85 % of it
   * (→ warning, budget_warning alert); its client and an operator's token. Seeded by each test that reads it, within
   * the run that reads it (test/support/budget-period-run): spend charged before a midnight UTC is not the next
   * day's, whose budget has no warning.
   */
  async function spentProduct(product: string): Promise<{ m: ProductClient; operator: string }> {
    await createProduct(h.url, product);
    const m = new ProductClient(h.url, product);
    const [op] = (await m.operators(["operator"])) as [string];
    const r = await m.api<{ token: string }>("POST", "/factories/enroll", { name: "spender", seats: 1 });
    if (r.status !== 201) throw new Error(`enroll spender: ${r.status} ${JSON.stringify(r.body)}`);
    const token = r.body.token;
    await setLongLived(m); // its lease held and its factory up however long the file takes (long-lived.ts)
    stops.push(keepBeating(m, () => [token]));
    const set = await m.api("PUT", "/budget", { period: "day", ceilingUsd: CEILING_USD, onExhausted: "pause" });
    if (set.status !== 200) throw new Error(`budget: ${set.status} ${JSON.stringify(set.body)}`);
    const spender = await m.submit({ title: "Spend on tokens" });
    const claimed = await m.api<Lease>("POST", "/claim", { leaseTtlSeconds: 3600 }, token);
    if (claimed.status !== 200 || claimed.body.job.id !== spender.id)
      throw new Error(`claim: ${claimed.status} ${JSON.stringify(claimed.body)}`);
    const leaseEpoch = claimed.body.lease.leaseEpoch;
    const json = { leaseEpoch, stage: "building", insights: { costUsd: SPENT_USD } };
    const spent = await m.api("PATCH", `/jobs/${spender.id}`, json, token);
    if (spent.status !== 200) throw new Error(`report: ${spent.status} ${JSON.stringify(spent.body)}`);
    return { m, operator: op };
  }
  const factories = async () => (await c.api<{ factories: FactoryRow[] }>("GET", "/factories")).body.factories;

  beforeAll(async () => {
    h = await startHarness();
    await createProduct(h.url, PRODUCT);
    c = new ProductClient(h.url, PRODUCT);
    [operator] = (await c.operators(["operator"])) as [string];
    for (const [name, caps] of [
      ["tripped", ["engine:claude"]],
      ["flaky", []],
    ] as const) {
      const r = await c.api<{ factoryId: string; token: string }>("POST", "/factories/enroll", {
        name,
        capabilities: caps,
        seats: 4,
      });
      if (r.status !== 201) throw new Error(`enroll ${name}: ${r.status} ${JSON.stringify(r.body)}`);
      f[name] = { id: r.body.factoryId, token: r.body.token };
    }

    // The file outlives a minute on a loaded box, and the defaults would undo its states meanwhile (CI: a lease
    // granted 60 s, not the 3600 s asked, lapsed as a failed run and quarantined `tripped`; the seats tile read 0/0
    // once both factories were down): the longest lease and cool-down, and both factories beat (long-lived.ts).
    await setLongLived(c);
    stops.push(keepBeating(c, () => Object.values(f).map((x) => x.token)));

    // Breaker: two failures in a row open `tripped`'s claude breaker (its error budget of 10 is not reached). Then
    // breakers out of the way and a budget of 2 failures: `flaky`'s third failure quarantines it.
    await patchSettings({ breaker: { failureThreshold: 2 }, errorBudget: { maxFailures: 10, windowMinutes: 60 } });
    await failRuns(f.tripped.token, 2, "claude");
    await patchSettings({ breaker: { failureThreshold: 100 }, errorBudget: { maxFailures: 2 } });
    await failRuns(f.flaky.token, 3);

    browser = await launchChromium();
  });

  afterAll(async () => {
    for (const stop of stops) stop();
    await browser?.close();
    await h?.close();
  });

  /** A fresh page signed in as the operator on `hash`; page errors and CSP violations collected. */
  async function operatorPage(hash: string, token = operator): Promise<{ page: Page; errors: string[] }> {
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    page.on("console", (m) => {
      if (/Content.Security.Policy/i.test(m.text())) errors.push(m.text());
    });
    // The route is in the URL before signing in: the app draws it once, when its poller is ready. (A hash change
    // right after signing in can be drawn twice — on the hashchange, and again on ready — which swaps the elements.)
    await page.goto(`${h.url}/#/${hash}`);
    await page.getByLabel("Token").fill(token);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("button", { name: "Sign out" }).waitFor();
    return { page, errors };
  }

  it("the burndown shows the spend with its 80 % and 100 % lines; Pause and Resume on the page pause and resume", () =>
    inOneBudgetPeriod(async (period) => {
      const { m, operator } = await spentProduct(period.product(`${PRODUCT}-burndown`));
      const before = await budget(m);
      expect(before).toMatchObject({ state: "warning", spentUsd: SPENT_USD, warnAtUsd: 8, ceilingUsd: CEILING_USD });
      // A Codex-like run reports tokens and no USD: said under the spend, not in it (core/unpriced).
      const codex = await m.api<{ token: string }>("POST", "/factories/enroll", { name: "codex", seats: 1 });
      stops.push(keepBeating(m, () => [codex.body.token]));
      const tokensOnly = await m.submit({ title: "Tokens, no USD" });
      const got = await m.api<Lease>("POST", "/claim", { leaseTtlSeconds: 3600 }, codex.body.token);
      expect(got.body.job.id).toBe(tokensOnly.id);
      const insights = { tokensIn: 1_204_311, unpricedTokens: 1_204_311 };
      const report = { leaseEpoch: got.body.lease.leaseEpoch, stage: "building", insights };
      expect((await m.api("PATCH", `/jobs/${tokensOnly.id}`, report, codex.body.token)).status).toBe(200);
      expect(await budget(m)).toMatchObject({ spentUsd: SPENT_USD, unpricedTokens: 1_204_311, state: "warning" });
      const { page, errors } = await operatorPage("budget", operator);
      await expect.poll(() => page.locator("[data-testid=budget-spent]").textContent(), SOON).toBe("$8.50");
      expect(await page.locator("[data-testid=budget-unpriced]").textContent()).toBe(
        "Unpriced: 1,204,311 tokens (engine reported no USD — not counted against the ceiling)",
      );
      expect(await page.locator("[data-testid=budget-ceiling]").textContent()).toBe("$10.00");
      expect(await page.locator("[data-testid=budget-state]").getAttribute("data-state")).toBe("warning");

      // The chart holds the burndown: set by uPlot's draw hook, so these attributes mean the canvas has been drawn.
      const chart = page.locator("[data-testid=budget-chart]");
      await expect.poll(() => chart.getAttribute("data-spent-usd"), SOON).toBe(String(SPENT_USD));
      const data = await chart.evaluate((el) => ({ ...(el as unknown as ChartElement).dataset }));
      expect(data).toMatchObject({ warnUsd: "8", ceilingUsd: String(CEILING_USD) });
      expect(Number(data.points)).toBeGreaterThanOrEqual(before.burndown.length);
      const legend = (await chart.textContent()) ?? "";
      expect(legend).toContain("80 % warning");
      expect(legend).toContain("100 % ceiling");
      // The two dashed lines are on the canvas, on the rows uPlot computed for $8 and $10: amber and red pixels there.
      const pixels = await chart.evaluate((el) => {
        const d = (el as unknown as ChartElement).dataset;
        const ctx = (el as unknown as ChartElement).querySelector("canvas").getContext("2d");
        const left = Number(d.plotLeft);
        const width = Number(d.plotWidth);
        /** Per row band around `row`: how many columns hold a pixel of the colour `is`. */
        const count = (row: number, is: (r: number, g: number, b: number) => boolean) => {
          const img = ctx.getImageData(left, row - 1, width, 3).data;
          let n = 0;
          for (let x = 0; x < width; x++) {
            for (let y = 0; y < 3; y++) {
              const i = (y * width + x) * 4;
              if (is(img[i] as number, img[i + 1] as number, img[i + 2] as number)) {
                n++;
                break;
              }
            }
          }
          return n;
        };
        const amber = (r: number, g: number, b: number) => r - b > 60 && g - b > 40 && r - g > 30;
        const red = (r: number, g: number, b: number) => r - b > 60 && r - g > 60 && Math.abs(g - b) < 30;
        const warnRow = Number(d.warnRow);
        const ceilingRow = Number(d.ceilingRow);
        return {
          width,
          warnRow,
          ceilingRow,
          amberOnWarn: count(warnRow, amber),
          redOnCeiling: count(ceilingRow, red),
          redOnWarn: count(warnRow, red),
          amberOnCeiling: count(ceilingRow, amber),
        };
      });
      expect(pixels.width).toBeGreaterThan(100);
      expect(pixels.ceilingRow).toBeLessThan(pixels.warnRow); // $10 above $8
      // Dashed: 6 on, 4 off — well over a third of the columns carry the line's colour, and not the other's.
      expect(pixels.amberOnWarn, JSON.stringify(pixels)).toBeGreaterThan(pixels.width / 3);
      expect(pixels.redOnCeiling, JSON.stringify(pixels)).toBeGreaterThan(pixels.width / 3);
      expect(pixels.redOnWarn, JSON.stringify(pixels)).toBeLessThan(pixels.width / 10);
      expect(pixels.amberOnCeiling, JSON.stringify(pixels)).toBeLessThan(pixels.width / 10);

      const state = page.locator("[data-testid=budget-state]");
      await page.locator("[data-testid=budget-pause]").click();
      await expect.poll(() => state.getAttribute("data-state"), SOON).toBe("paused");
      expect(await budget(m)).toMatchObject({ state: "paused", pausedBy: "operator", spentUsd: SPENT_USD });
      // Under the ceiling, an operator's pause alone: its next step is the Resume (dashboard/budget-next.js).
      const next = page.locator("[data-testid=budget-next]");
      await expect.poll(() => next.textContent(), SOON).toBe("Resume lifts the pause.");
      expect((await m.api<{ budgetPaused: boolean }>("GET", "/settings")).body.budgetPaused).toBe(true);
      await expect.poll(() => page.locator("[data-testid=budget-resume]").isEnabled(), SOON).toBe(true);
      await page.locator("[data-testid=budget-resume]").click();
      await expect.poll(() => state.getAttribute("data-state"), SOON).toBe("warning");
      const after = await budget(m);
      expect(after).toMatchObject({ state: "warning", spentUsd: SPENT_USD });
      expect(after.pausedBy).toBeUndefined();
      expect(await next.isHidden()).toBe(true); // nothing paused, under the ceiling: no next step
      expect(errors).toEqual([]);
      await closeContext(page.context());
    }));

  it("the 80 % budget_warning is listed in the alerts panel and acknowledged from the page", () =>
    inOneBudgetPeriod(async (period) => {
      const { m, operator } = await spentProduct(period.product(`${PRODUCT}-warning`));
      const warning = (await alerts(m)).find((a) => a.kind === "budget_warning");
      expect(warning?.state).toBe("open");
      const id = (warning as Alert).id;
      const { page, errors } = await operatorPage("alerts", operator);
      const row = page.locator(`#alerts-panel [data-testid=alert-row][data-alert-id="${id}"]`);
      await row.waitFor(SOON);
      expect(await row.getAttribute("data-state")).toBe("open");
      await row.locator("[data-testid=alert-ack]").click();
      await expect.poll(async () => (await alerts(m)).find((a) => a.id === id)?.state, SOON).toBe("acknowledged");
      await expect
        .poll(() => page.locator(`[data-testid=alert-row][data-alert-id="${id}"]`).getAttribute("data-state"), SOON)
        .toBe("acknowledged");
      expect(errors).toEqual([]);
      await closeContext(page.context());
    }));

  it("the header shows the product's health; the fleet map shows the open breaker and releases the quarantined factory", async () => {
    const listed = await factories();
    expect(listed.find((x) => x.id === f.tripped.id)?.breakers).toContainEqual(
      expect.objectContaining({ engine: "claude", state: "open" }),
    );
    expect(listed.find((x) => x.id === f.flaky.id)?.status).toBe("quarantined");
    const health = (await c.api<{ status: string }>("GET", "/health")).body.status;
    expect(["healthy", "degraded", "stalled"]).toContain(health);

    const { page, errors } = await operatorPage("fleet");
    await expect.poll(() => page.locator("header #health-badge").getAttribute("data-status"), SOON).toBe(health);
    expect(((await page.locator("header #health-badge").textContent()) ?? "").toLowerCase()).toContain(health);

    const badge = page.locator(`#breaker-${f.tripped.id}-claude`);
    await badge.waitFor(SOON);
    expect(await badge.getAttribute("data-state")).toBe("open");
    expect(await badge.textContent()).toContain("breaker open");
    expect(await page.locator(`li[data-factory=tripped] [data-testid=quarantine]`).count()).toBe(0);

    const flaky = page.locator("li[data-factory=flaky]");
    await flaky.locator("[data-testid=quarantine]").waitFor();
    expect(await flaky.locator(".badge.status-quarantined").textContent()).toBe("quarantined");
    // Why, as recorded: the error budget's own words, not a guess between it and an operator.
    const why = listed.find((x) => x.id === f.flaky.id)?.statusReason;
    expect(why).toMatch(/^quarantined: more than 2 failed runs within/);
    expect(await flaky.locator("[data-testid=quarantine] [data-testid=status-reason]").textContent()).toBe(why);
    await page.locator(`#release-${f.flaky.id}`).click();
    await expect.poll(async () => (await factories()).find((x) => x.id === f.flaky.id)?.status, SOON).toBe("active");
    await expect.poll(() => flaky.locator(".badge.status-active").count(), SOON).toBe(1);
    expect(await flaky.locator("[data-testid=quarantine]").count()).toBe(0);
    expect(await flaky.locator("[data-testid=status-reason]").count()).toBe(0);
    // An operator's drain says who drained it, on the card, until the factory is active again.
    expect((await c.api("POST", `/factories/${f.flaky.id}/status`, { status: "draining" })).status).toBe(200);
    await page.reload(); // a status change moves no queue version: the fleet is re-read every 15 s, or now on a load
    const drained = flaky.locator("[data-testid=status-reason]");
    await drained.waitFor(SOON);
    expect(await drained.textContent()).toMatch(/^draining by /);
    expect((await c.api("POST", `/factories/${f.flaky.id}/status`, { status: "active" })).status).toBe(200);
    expect(errors).toEqual([]);
    await closeContext(page.context());
  });

  it("the lessons page lists a lesson from the API and adds one typed on the page", async () => {
    type Lesson = { id: string; text: string; source: string };
    const listed = async () => (await c.api<{ items: Lesson[] }>("GET", "/lessons")).body.items;
    const added = await c.api<Lesson>("POST", "/lessons", { text: "Run npm ci before the tests" }, operator);
    expect(added.status).toBe(201);
    // GET …/lessons reads D1, filled by the outbox a moment after the POST: the page is opened once the API lists it.
    await expect.poll(async () => (await listed()).some((l) => l.id === added.body.id), SOON).toBe(true);
    const { page, errors } = await operatorPage("lessons");
    const row = page.locator(`#lessons-list [data-lesson-id="${added.body.id}"]`);
    await row.waitFor(SOON);
    expect(await row.textContent()).toContain("Run npm ci before the tests");

    const text = "Pin the Node version in CI";
    await page.locator("#lesson-text").fill(text);
    await page.locator("#lesson-add").click();
    await expect.poll(() => page.locator("#lessons-status").textContent(), SOON).toMatch(/^Added les_/);
    const id = ((await page.locator("#lessons-status").textContent()) ?? "").replace(/^Added (\S+)\.$/, "$1");
    // Listed on the page at once (before D1 has it), and by the API as an operator's lesson.
    expect(await page.locator(`#lessons-list [data-lesson-id="${id}"]`).textContent()).toContain(text);
    await expect
      .poll(async () => (await listed()).find((l) => l.id === id), SOON)
      .toMatchObject({ text, source: "operator" });
    expect(errors).toEqual([]);
    await closeContext(page.context());
  });

  it("the metrics tiles under the header show the API's numbers", async () => {
    const m = (
      await c.api<{ seats: { busy: number; total: number }; queue: { depthByStage: Record<string, number> } }>(
        "GET",
        "/metrics",
      )
    ).body;
    const { page, errors } = await operatorPage("jobs");
    const tile = (label: string) =>
      page.locator("#tiles .tile").filter({ has: page.locator(".tile-label", { hasText: label }) });
    await expect
      .poll(() => tile("seats busy").locator(".tile-value").textContent(), SOON)
      .toBe(`${m.seats.busy}/${m.seats.total}`);
    // Queued and blocked apart: a "queued" tile counting both disagreed with the header's "N queued".
    expect(await tile("queued").locator(".tile-value").textContent()).toBe(String(m.queue.depthByStage.queued ?? 0));
    expect(await tile("blocked").locator(".tile-value").textContent()).toBe(String(m.queue.depthByStage.blocked ?? 0));
    expect(await tile("dispatch p50").locator(".tile-value").textContent()).toMatch(/^\d+(\.\d)? ms$/);
    expect(errors).toEqual([]);
    await closeContext(page.context());
  });

  it("Requeue of a job over its own budget shows what it spent; with a raised job budget it is requeued", async () => {
    const job = await c.submit({ title: "Over its own budget", budget: { usd: 1 } });
    const epoch = await claim(f.tripped.token, job.id);
    // $1.20 of its $1: failed budget_exceeded (the product's $10 is not reached: 8.5 + 1.2).
    await report(f.tripped.token, job.id, epoch, { stage: "building", insights: { costUsd: 1.2 } });
    type Seen = { stage: string; budget: { usd?: number }; lastResult?: { outcome: string } };
    const seen = async () => (await c.api<Seen>("GET", `/jobs/${job.id}`)).body;
    expect(await seen()).toMatchObject({ stage: "failed", lastResult: { outcome: "budget_exceeded" } });

    const { page, errors } = await operatorPage(`jobs/${job.id}`);
    const requeue = page.locator('button[data-action="requeue"]:not([disabled])');
    await requeue.click();
    const status = page.locator(".action-status");
    await expect.poll(() => status.textContent(), SOON).toContain("has spent $1.20, not below its budget of $1.00");
    expect(await status.textContent()).toContain("(budget_exceeded)");
    expect((await seen()).stage).toBe("failed");
    await page.locator("#action-budget").fill("5");
    await requeue.click();
    await expect.poll(() => status.textContent(), SOON).toContain("requeue: job is now");
    expect(await seen()).toMatchObject({ budget: { usd: 5 } });
    expect((await seen()).stage).not.toBe("failed");
    expect(errors).toEqual([]);
    await closeContext(page.context());
  });
});
