// The routing page's actions send one request per double click, in Debian Chromium against the real local server:
// a rule's Remove and an experiment's Stop are disabled while their request is out — also on a list redrawn
// meanwhile — so a double click is one DELETE or one POST, and the status line says what it did ("Removed …",
// "Stopped …"). Before, the second click went out too: its refusal (the rule was gone: 404) or its `changed: false`
// ("Already stopped") replaced the first one's success on the status line. An experiments read answered after the
// page was left draws nothing: it drew uPlot charts into the detached page, which uPlot kept alive for good. Nor does
// a poll sent before a Remove or a Stop and answered after the action's own read was drawn: it drew the removed rule,
// or the stopped experiment live with its Stop, back until the next poll. A rule names its factory as the Fleet page
// does ("avoid host-1"), not by an id no one recognises.
import type { APIResponse, Browser, Page, Route } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fetchRoute, holdRequests, launchChromium, newPage, signIn } from "./chromium.ts";
import { onClock } from "./dashboard-session.ts";
import { ADMIN, adminApi, type Harness, startHarness } from "./harness.ts";

const PRODUCT = "routing-clicks";
/** A server answer on a busy two-core machine; never a delay. */
const SOON = { timeout: 15_000 };

describe("dashboard: the routing page's actions", () => {
  let h: Harness;
  let browser: Browser;
  let ruleId = "";
  let experimentId = "";

  const api = adminApi(() => h.url, PRODUCT);

  beforeAll(async () => {
    h = await startHarness();
    const enrolled = await api<{ factoryId: string }>("POST", "/factories/enroll", { name: "host-1" });
    const rule = { factoryId: enrolled.factoryId, effect: "avoid", reason: "flaky disk" };
    ruleId = (await api<{ id: string }>("POST", "/routing/rules", rule)).id;
    const experiment = {
      jobClass: "lang:cobol",
      arms: { A: {}, B: { weights: { load: 3 } } },
      guardrail: { metric: "success_rate", margin: 0.1, confidence: 0.95 },
    };
    experimentId = (await api<{ id: string }>("POST", "/routing/experiments", experiment)).id;
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await h?.close();
  });

  async function routingPage() {
    const { page, errors, close } = await newPage(browser);
    await signIn(page, h.url, ADMIN, PRODUCT);
    await page.goto(`${h.url}/#/routing`);
    return { page, errors, close };
  }

  const hold = holdRequests;

  it("removes a rule once on a double click", async () => {
    const { page, errors, close } = await routingPage();
    const remove = page.locator(`#remove-${ruleId}`);
    await remove.waitFor(SOON);
    // The rule names its factory as the Fleet page does, not by its id (kept in the title).
    expect(await page.locator(`#rule-${ruleId} strong`).textContent()).toBe("avoid host-1");
    expect(await page.locator(`#rule-${ruleId} strong bdi`).getAttribute("title")).toMatch(/^fac_/);
    const deletes = await hold(page, "DELETE", `/routing/rules/${ruleId}`);
    await remove.dblclick();
    await expect.poll(() => remove.isDisabled(), SOON).toBe(true);
    deletes.answer();
    await expect.poll(() => page.locator("#routing-status").textContent(), SOON).toBe(`Removed ${ruleId}.`);
    await expect.poll(() => page.locator(`#rule-${ruleId}`).count(), SOON).toBe(0);
    expect(deletes.sent()).toBe(1);
    expect(errors).toEqual([]);
    await close();
  });

  it("draws no chart for an experiments read answered after the page was left", async () => {
    const { page, errors, close } = await routingPage();
    await page.locator(`#experiment-stop-${experimentId}`).waitFor(SOON);
    // Charts alive in the page's heap, drawn or not: uPlot keeps every chart it made in a module-level set (for its
    // window `resize` listener) until the chart is destroyed, so a chart drawn into a page already left stays for good.
    const cdp = await page.context().newCDPSession(page);
    const liveCharts = async () => {
      await cdp.send("HeapProfiler.collectGarbage");
      const proto = await cdp.send("Runtime.evaluate", { expression: "HTMLDivElement.prototype" });
      const { objects } = await cdp.send("Runtime.queryObjects", { prototypeObjectId: proto.result.objectId! });
      const { result } = await cdp.send("Runtime.callFunctionOn", {
        objectId: objects.objectId!,
        functionDeclaration: "function () { return this.filter((d) => d.classList.contains('uplot')).length; }",
        returnByValue: true,
      });
      return result.value as number;
    };
    // From now on the list's reads wait until let go, and are answered with two points of counted outcomes (a chart).
    let letGo: () => void = () => {};
    const gate = new Promise<void>((r) => {
      letGo = r;
    });
    let asked = 0;
    let answered = 0;
    await page.route(
      (url) => url.pathname.endsWith("/routing/experiments"),
      async (route) => {
        if (route.request().method() !== "GET") return route.fallback();
        asked++;
        await gate;
        const doc = await (await fetchRoute(route)).json();
        const point = (at: number) => ({ at, A: { n: 2, successes: 1 }, B: { n: 3, successes: 3 } });
        for (const e of doc.experiments) e.series = [point(Date.now() - 60_000), point(Date.now())];
        await route.fulfill({ json: doc });
        answered++;
      },
    );
    await page.goto(`${h.url}/#/jobs`); // left: the routing page's cleanup has run
    await page.goto(`${h.url}/#/routing`);
    await expect.poll(() => asked, SOON).toBeGreaterThan(0); // the second visit's read, held
    await page.goto(`${h.url}/#/jobs`);
    await page.locator("#routing-experiments").waitFor({ state: "detached" });
    letGo();
    await expect.poll(() => answered, SOON).toBeGreaterThan(0);
    // Its continuation runs once the page has the answer. This pause can only hide a leak (a continuation later than
    // it), never fail a page without one: there is no state to wait for when the right outcome is that nothing happens.
    await page.evaluate(() => new Promise((r) => setTimeout(r, 50)));
    expect(await liveCharts()).toBe(0);
    expect(errors).toEqual([]);
    await close();
  });

  it("stops an experiment once on a double click", async () => {
    const { page, errors, close } = await routingPage();
    const stop = page.locator(`#experiment-stop-${experimentId}`);
    await stop.waitFor(SOON);
    const stops = await hold(page, "POST", `/routing/experiments/${experimentId}/stop`);
    await stop.dblclick();
    await expect.poll(() => stop.isDisabled(), SOON).toBe(true);
    stops.answer();
    const card = page.locator(`#experiment-${experimentId}`);
    await expect.poll(() => card.getAttribute("data-status"), SOON).toBe("stopped");
    // The experiments' own status line, beside their list.
    const said = page.locator("div:has(> #routing-experiments) > p.status");
    await expect.poll(() => said.textContent(), SOON).toBe(`Stopped ${experimentId}.`);
    expect(stops.sent()).toBe(1);
    expect(errors).toEqual([]);
    await close();
  });

  /**
   * The routing page on a clock the test runs on (its poll, every 10 s, reached by `fastForward`), with one GET of
   * each path ending in `heldPath` — the first while `holding` — answered by the coordinator at once and handed to the
   * page only when let go; while `failing`, reads of the recommendations are refused (a 503).
   */
  async function pageOnClock(heldPath: string) {
    const { page, errors, close } = await newPage(browser);
    await page.clock.install();
    const hold = { holding: false, failing: false, held: [] as Array<[Route, APIResponse]> };
    await page.route(
      (u) => u.pathname.endsWith(heldPath),
      async (route) => {
        if (!hold.holding || route.request().method() !== "GET") return route.fallback();
        hold.holding = false;
        hold.held.push([route, await fetchRoute(route)]);
      },
    );
    await page.route(
      (u) => u.pathname.endsWith("/routing/recommendations"),
      (route) =>
        hold.failing
          ? route.fulfill({
              status: 503,
              contentType: "application/problem+json",
              body: JSON.stringify({ type: "about:blank", title: "Unavailable", detail: "down", code: "unavailable" }),
            })
          : route.fallback(),
    );
    await signIn(page, h.url, ADMIN, PRODUCT);
    await page.goto(`${h.url}/#/routing`);
    return { page, errors, close, hold };
  }

  /**
   * Hands the held (older) read to the page, then has a later poll refused and waits until its failure is said: the
   * older answer reached the page before that poll was sent, so by then it has been drawn, or dropped.
   */
  async function letGoThenFailedPoll(page: Page, hold: Awaited<ReturnType<typeof pageOnClock>>["hold"]) {
    for (const [route, response] of hold.held.splice(0)) await route.fulfill({ response });
    hold.failing = true;
    const failure = page.locator("#routing-status-read, #routing-status[data-load-error]");
    await expect
      .poll(
        onClock(page, 10_000, () => failure.count()),
        SOON,
      )
      .toBe(1);
    expect(await failure.textContent()).toMatch(/^Cannot load routing/);
  }

  it("draws nothing of a poll sent before a Remove and answered after it", async () => {
    const enrolled = await api<{ factoryId: string }>("POST", "/factories/enroll", { name: "host-2" });
    const rule = { factoryId: enrolled.factoryId, effect: "avoid", reason: "slow disk" };
    const stale = (await api<{ id: string }>("POST", "/routing/rules", rule)).id;
    const { page, errors, close, hold } = await pageOnClock("/routing/rules");
    const remove = page.locator(`#remove-${stale}`);
    await remove.waitFor(SOON);
    hold.holding = true;
    await page.clock.fastForward(10_000); // the page's poll, which read the rule before the Remove
    await expect.poll(() => hold.held.length, SOON).toBe(1);
    await remove.click();
    await expect.poll(() => page.locator("#routing-status").textContent(), SOON).toBe(`Removed ${stale}.`);
    await expect.poll(() => page.locator(`#rule-${stale}`).count(), SOON).toBe(0);
    await letGoThenFailedPoll(page, hold);
    expect(await page.locator(`#rule-${stale}`).count()).toBe(0);
    expect(errors).toEqual([]);
    await close();
  });

  it("draws nothing of a poll's experiments read sent before a Stop and answered after it", async () => {
    const experiment = {
      jobClass: "lang:fortran",
      arms: { A: {}, B: { weights: { load: 2 } } },
      guardrail: { metric: "success_rate", margin: 0.1, confidence: 0.95 },
    };
    const id = (await api<{ id: string }>("POST", "/routing/experiments", experiment)).id;
    const { page, errors, close, hold } = await pageOnClock("/routing/experiments");
    const stop = page.locator(`#experiment-stop-${id}`);
    await stop.waitFor(SOON);
    hold.holding = true;
    await page.clock.fastForward(10_000); // the page's poll, which read the experiment live before the Stop
    await expect.poll(() => hold.held.length, SOON).toBe(1);
    await stop.click();
    const card = page.locator(`#experiment-${id}`);
    await expect.poll(() => card.getAttribute("data-status"), SOON).toBe("stopped");
    await letGoThenFailedPoll(page, hold);
    expect(await card.getAttribute("data-status")).toBe("stopped");
    expect(await stop.count()).toBe(0);
    expect(errors).toEqual([]);
    await close();
  });
});
