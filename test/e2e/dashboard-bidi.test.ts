// Text anyone may write cannot reorder what the dashboard writes after it, in Debian Chromium against the real local
// server: a routing rule's reason, a serial key and a factory's branch name that end in an unclosed right-to-left override
// (U+202E) left the rest of their line drawn backwards — "by <who>" on the Routing page, the rules of the job's
// Explain panel after the hostile one, "is open" after an Unfreeze, a checkpoint's commit and note after a factory's
// branch name in the timeline — so a line could be made to say what the page
// never wrote. Each is checked where it is drawn: the letters of the page's own words after the hostile text are laid
// left to right.
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WsFactory } from "../support/ws-factory.ts";
import { closeContext, launchChromium } from "./chromium.ts";
import { adminApi, type Harness, mintRoleTokens, startHarness } from "./harness.ts";
import { setLongLived } from "./long-lived.ts";
import { ProductClient } from "./product-client.ts";

const PRODUCT = "bidi";
const RLO = "\u202E";
/** A server answer on a busy two-core machine; never a delay. */
const SOON = { timeout: 15_000 };

/**
 * Whether the last `word` in the text under `selector` is drawn left to right: its first letter's box is left of its
 * last letter's. Under a leaked right-to-left override it is drawn mirrored.
 */
async function drawnLeftToRight(page: Page, selector: string, word: string): Promise<boolean> {
  // A string, not a function: this project's TypeScript has no DOM library (as the other e2e files do).
  const script = `(() => {
    const [sel, w] = ${JSON.stringify([selector, word])};
    const root = document.querySelector(sel);
    if (!root) throw new Error(sel + " is not on the page");
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    let found;
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const at = n.data.lastIndexOf(w);
      if (at >= 0) found = { node: n, at };
    }
    if (!found) throw new Error(w + " is not under " + sel);
    const left = (i) => {
      const r = document.createRange();
      r.setStart(found.node, i);
      r.setEnd(found.node, i + 1);
      return r.getBoundingClientRect().left;
    };
    return left(found.at) < left(found.at + w.length - 1);
  })()`;
  return (await page.evaluate(script)) as boolean;
}

describe("dashboard: a right-to-left override in someone's text stays in it", () => {
  let h: Harness;
  let browser: Browser;
  let factory: WsFactory;
  let operator = "";
  let builderId = "";
  let jobId = "";
  let ruleId = "";
  const api = adminApi(() => h.url, PRODUCT);

  beforeAll(async () => {
    h = await startHarness();
    ({ operator } = await mintRoleTokens(h.url, PRODUCT));
    // The job is pushed here and left `assigned` until the last test accepts it: under the product's 60 s lease TTL
    // it lapsed on a slow box (builder-1 then kept from it: no rules line in Explain, the accept refused as fenced).
    await setLongLived(new ProductClient(h.url, PRODUCT));
    const enrolled = await api<{ token: string }>("POST", "/factories/enroll", { name: "builder-1", seats: 2 });
    factory = await WsFactory.connect(h.url, PRODUCT, enrolled.token, { seats: 2, autoComplete: false });
    const { factories } = await api<{ factories: Array<{ id: string; name: string }> }>("GET", "/factories");
    builderId = factories.find((f) => f.name === "builder-1")!.id;
    // Two rules on one factory, the hostile reason first: the Explain panel lists both on one line. Two seats: the
    // factory, building the job on one, is still ranked (not filtered out for no free seat) with its rules.
    const reason = `trusted${RLO}`;
    ruleId = (await api<{ id: string }>("POST", "/routing/rules", { factoryId: builderId, effect: "prefer", reason }))
      .id;
    await api("POST", "/routing/rules", {
      factoryId: builderId,
      jobClass: "class:docs",
      effect: "prefer",
      reason: "second",
    });
    jobId = (await api<{ id: string }>("POST", "/jobs", { manifest: { title: "Explained", class: "docs" } })).id;
    await api("POST", `/serial/${encodeURIComponent(`deploy${RLO}`)}/freeze`, { reason: `hold${RLO}` });
    browser = await launchChromium();
  });

  afterAll(async () => {
    factory?.close();
    await browser?.close();
    await h?.close();
  });

  async function open(hash: string) {
    const context = await browser.newContext({ viewport: { width: 1600, height: 900 } });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(`${h.url}/`);
    await page.getByLabel("Token").fill(operator);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("button", { name: "Sign out" }).waitFor();
    await page.goto(`${h.url}/${hash}`);
    return { page, errors, close: () => closeContext(context) };
  }

  it("draws 'by <who>' after a routing rule's reason left to right on the Routing page", async () => {
    const { page, errors, close } = await open("#/routing");
    const rule = `#rule-${ruleId}`;
    await page.locator(rule).waitFor(SOON);
    expect(await drawnLeftToRight(page, rule, "by ")).toBe(true);
    expect(errors).toEqual([]);
    await close();
  });

  it("draws the rule after a hostile one left to right in the job's Explain panel", async () => {
    const { page, errors, close } = await open(`#/jobs/${jobId}`);
    const line = `#rules-${builderId}`;
    await page.locator(line).waitFor(SOON);
    expect(await page.locator(line).textContent()).toContain("second");
    expect(await drawnLeftToRight(page, line, "second")).toBe(true);
    expect(errors).toEqual([]);
    await close();
  });

  it("draws the outcome of an Unfreeze left to right after a hostile serial key", async () => {
    const { page, errors, close } = await open("#/jobs");
    const row = "table.serial tbody tr";
    await page.locator(`${row}:has-text("hold")`).waitFor(SOON);
    await page.locator(row).getByRole("button", { name: "Unfreeze" }).click();
    await expect.poll(() => page.locator(".serial-status").textContent(), SOON).toContain("is open");
    expect(await drawnLeftToRight(page, ".serial-status", "open")).toBe(true);
    expect(errors).toEqual([]);
    await close();
  });

  it("draws a checkpoint's commit and note left to right after a factory's hostile branch name in the timeline", async () => {
    const deadline = Date.now() + 30_000;
    let assignment = factory.assignments.find((a) => a.job.id === jobId);
    while (!assignment && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 25));
      assignment = factory.assignments.find((a) => a.job.id === jobId);
    }
    expect(assignment, "the job was pushed to the factory").toBeDefined();
    const lease = { jobId, leaseEpoch: assignment!.leaseEpoch };
    for (const frame of [
      { type: "accept", ...lease },
      { type: "progress", ...lease, checkpoint: { branch: `feature${RLO}`, sha: "abcdef0123456789", note: "tested" } },
    ])
      expect((await factory.request(frame)).type).toBe("ack");
    const { page, errors, close } = await open(`#/jobs/${jobId}`);
    const line = '.timeline li[data-type="checkpoint"] .summary';
    await page.locator(line).waitFor(SOON);
    expect(await drawnLeftToRight(page, line, "abcdef0123")).toBe(true);
    expect(await drawnLeftToRight(page, line, "tested")).toBe(true);
    expect(errors).toEqual([]);
    await close();
  });
});
