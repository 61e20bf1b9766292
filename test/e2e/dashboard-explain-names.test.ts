// The explain panel names factories as the rest of the dashboard does, in Debian Chromium against the real local
// server: two listed hosts of one name (one revoked, enrolled again) read `twin (fac_…)` on their ranked cards and in "Filtered out" — both
// read "twin" before, and an operator could not tell which one the router ranked first — and a card whose run would
// be its factory's half-open breaker trial says so in the words the CLI prints (core/half-open-trial), which is why a
// higher score can rank below a closed host. The explain answer is the coordinator's shape stood in (a real trial
// needs a breaker's cool-down to pass: test/integration/half-open-trial proves the coordinator's side).
import type { Browser, Page, Route } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TRIAL_ONLY_WORDS } from "../../src/core/half-open-trial.ts";
import { closeContext, launchChromium, signIn } from "./chromium.ts";
import { ADMIN, adminApi, type Harness, startHarness } from "./harness.ts";

const PRODUCT = "explain-names";

/** Router score terms as GET …/explain gives them: raw × weight = contribution. */
const terms = (load: number) => ({
  capabilityFit: { raw: 1, weight: 1, contribution: 1 },
  load: { raw: load, weight: 1, contribution: -load },
});

describe("dashboard: the explain panel's factory names", () => {
  let h: Harness;
  let browser: Browser;
  const api = adminApi(() => h.url, PRODUCT);
  const twins: string[] = [];

  beforeAll(async () => {
    h = await startHarness();
    // A host revoked and enrolled again under its name: two listed factories of one name (dashboard/factory-label).
    twins.push((await api<{ factoryId: string }>("POST", "/factories/enroll", { name: "twin" })).factoryId);
    await api("POST", `/factories/${twins[0]}/token/revoke`);
    twins.push((await api<{ factoryId: string }>("POST", "/factories/enroll", { name: "twin" })).factoryId);
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await h?.close();
  });

  it("tells two hosts of one name apart and marks the half-open trial", async () => {
    const { id } = await api<{ id: string }>("POST", "/jobs", { manifest: { title: "Twins" } });
    const [a, b] = twins as [string, string];
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page: Page = await context.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await page.route(
      (u) => u.pathname.endsWith(`/jobs/${id}/explain`),
      (route: Route) =>
        route.fulfill({
          json: {
            at: Date.now(),
            priority: "normal",
            urgency: 1,
            holderFactoryId: null,
            ranked: [
              { factoryId: b, factoryName: "twin", score: 0.9, terms: terms(0.1) },
              { factoryId: a, factoryName: "twin", score: 1.5, terms: terms(0), trial: true },
            ],
            rejected: [{ factoryId: a, factoryName: "twin", reasons: ["factory_disconnected"], disconnectedAt: null }],
            exclusions: [],
          },
        }),
    );
    await signIn(page, h.url, ADMIN, PRODUCT);
    await page.goto(`${h.url}/#/jobs/${id}`);
    const cards = page.locator(".ranked li.candidate");
    await expect
      .poll(() => cards.locator(".candidate-head strong").allTextContents())
      .toEqual([`#1 twin (${b})`, `#2 twin (${a})`]);
    expect(await cards.nth(0).getByTestId("trial").count()).toBe(0);
    expect(await cards.nth(1).getByTestId("trial").textContent()).toBe(TRIAL_ONLY_WORDS);
    expect(await page.locator(".rejected li strong").allTextContents()).toEqual([`twin (${a})`]);
    expect(errors).toEqual([]);
    await closeContext(context);
  });
});
