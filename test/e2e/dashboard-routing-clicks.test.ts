// The routing page's actions send one request per double click, in Debian Chromium against the real local server:
// a rule's Remove and an experiment's Stop are disabled while their request is out — also on a list redrawn
// meanwhile — so a double click is one DELETE or one POST, and the status line says what it did ("Removed …",
// "Stopped …"). Before, the second click went out too: its refusal (the rule was gone: 404) or its `changed: false`
// ("Already stopped") replaced the first one's success on the status line. An experiments read answered after the
// page was left draws nothing: it drew uPlot charts into the detached page, which uPlot kept alive for good.
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fetchRoute, holdRequests, launchChromium, newPage, signIn } from "./chromium.ts";
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
});
