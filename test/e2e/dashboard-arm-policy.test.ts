// The routing page says an experiment's arms as `gigafactory routing experiment show` does, in Debian Chromium
// against the real local server: "prefer host-a · weights health=0.5" (its factory by name, as the Fleet page and
// the rules list name it) and "the product's routing" for an arm with no policy of its own — each word for word the
// CLI's armPolicyText. The page printed the arm's JSON, `{"rules":[{"factoryId":"fac_0mxc…","effect":"prefer"}]}`,
// beside a CLI that said it in words.
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { armPolicyText } from "../../src/cli/arm-policy-text.ts";
import { launchChromium, newPage, signIn } from "./chromium.ts";
import { ADMIN, adminApi, type Harness, startHarness } from "./harness.ts";

const PRODUCT = "arm-policy";
/** A server answer on a busy two-core machine; never a delay. */
const SOON = { timeout: 15_000 };

describe("dashboard: an experiment's arms in words", () => {
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

  it("names each arm's rules' factories and weights as the CLI does", async () => {
    const { factoryId } = await api<{ factoryId: string }>("POST", "/factories/enroll", { name: "host-a" });
    const arms = { A: { rules: [{ factoryId, effect: "prefer" }], weights: { health: 0.5 } }, B: {} };
    const body = { jobClass: "lang:ada", arms, guardrail: { metric: "success_rate", margin: 0.1, confidence: 0.95 } };
    const { id } = await api<{ id: string }>("POST", "/routing/experiments", body);
    const { page, errors, close } = await newPage(browser);
    await signIn(page, h.url, ADMIN, PRODUCT);
    await page.goto(`${h.url}/#/routing`);
    const arm = (k: "A" | "B") => page.locator(`#experiment-${id} li[data-arm="${k}"]`);
    await arm("A").waitFor(SOON);
    const named = (f: string) => (f === factoryId ? "host-a" : f);
    expect(armPolicyText(arms.A, named)).toBe("prefer host-a · weights health=0.5");
    expect(await arm("A").textContent()).toContain("Arm A prefer host-a · weights health=0.5 — ");
    expect(await arm("B").textContent()).toContain(`Arm B ${armPolicyText(arms.B)} — `);
    expect(errors).toEqual([]);
    await close();
  });
});
