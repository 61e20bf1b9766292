// The fleet-policy views of the dashboard in a real browser (Debian Chromium via playwright-core) against the real
// local server: the board says in plain words why a job waits, the DAG view draws a composite job's tree (an SVG
// node per child), the settings page changes a product setting (read back through the API), the review card
// names who approved, and the text boxes count UTF-8 bytes as the server does (a lesson of 400 "漢" is over 1024
// bytes and is not sent; the serial key and review comment boxes alike), and the serial key box refuses `.` and `..`
// before sending (the browser resolved `/serial/../freeze` to `/freeze`, and the page showed a 404 "no route").
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Assignment } from "../../src/shared/protocol.ts";
import { WsFactory } from "../support/ws-factory.ts";
import { poll } from "./agent-procs.ts";
import { closeContext, launchChromium } from "./chromium.ts";
import { ADMIN, createProduct, type Harness, startHarness } from "./harness.ts";
import { ProductClient, type SeenJob } from "./product-client.ts";

const PRODUCT = "dash-policies";
/** Each view by its agreed `data-testid`, or by the markup its part built (either matches). */
const SEL = {
  waitingReason: "[data-testid=waiting-reason], .waiting",
  dagView: "[data-testid=dag-view], .dag-wrap",
  dagNode: "[data-testid=dag-node], .dag-node",
  settingsForm: "[data-testid=settings-form], form.settings",
  reviewCard: "[data-testid=review-card], section.review",
};

describe("dashboard: fleet policies in a real browser", () => {
  let h: Harness;
  let browser: Browser;
  let factory: WsFactory;
  let operator = "";
  let reviewer = "";
  let gpuJob: SeenJob;
  let composite: SeenJob;
  let reviewed: SeenJob;

  let c: ProductClient;

  beforeAll(async () => {
    h = await startHarness();
    await createProduct(h.url, PRODUCT);
    c = new ProductClient(h.url, PRODUCT);
    [operator, reviewer] = (await c.operators(["operator", "alice"])) as [string, string];
    factory = await WsFactory.enroll(h.url, PRODUCT, ADMIN, "builder-1", {
      seats: 2,
      capabilities: ["os:linux"],
      autoComplete: false,
      leaseTtlSeconds: 3600,
    });

    // Waits: nothing connected has a GPU.
    gpuJob = await c.submit({ title: "Train the ranking model", requires: ["gpu"] });
    // A composite whose three children wait for a GPU too: the parent holds in blocked.
    composite = await c.submit({
      title: "Model release",
      kind: "composite",
      children: ["Lint", "Train", "Publish"].map((title) => ({ title, requires: ["gpu"] })),
    });
    // In review (approved once, by alice, in its test).
    reviewed = await c.submit({ title: "Rewrite the billing job", reviewers: 2 });
    const a = await poll<Assignment>("the review job's assignment", 20_000, () =>
      factory.assignments.find((x) => x.job.id === reviewed.id),
    );
    const lease = { jobId: a.job.id, leaseEpoch: a.leaseEpoch };
    for (const frame of [
      { type: "accept", ...lease },
      { type: "progress", ...lease, stage: "building" },
      { type: "complete", ...lease, result: { outcome: "success", rc: 0 } },
    ]) {
      const reply = await factory.request(frame);
      if (reply.type !== "ack") throw new Error(`${frame.type}: ${JSON.stringify(reply)}`);
    }

    browser = await launchChromium();
  });

  afterAll(async () => {
    factory?.close();
    await browser?.close();
    await h?.close();
  });

  /** A fresh page signed in as the operator; page errors collected. */
  async function operatorPage(): Promise<{ page: Page; errors: string[] }> {
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(`${h.url}/`);
    await page.getByLabel("Token").fill(operator);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("button", { name: "Sign out" }).waitFor();
    return { page, errors };
  }

  it("the board says in plain words why a job waits", async () => {
    const { page, errors } = await operatorPage();
    await page.goto(`${h.url}/#/jobs`);
    const reason = page.locator(`[data-job="${gpuJob.id}"]`).locator(SEL.waitingReason);
    await expect.poll(async () => ((await reason.first().textContent()) ?? "").trim()).toMatch(/gpu/);
    const shown = ((await reason.first().textContent()) ?? "").trim();
    expect(shown).not.toMatch(/^[a-z_]+$/); // words, not a bare code
    const fromApi = (await c.api("GET", `/jobs/${gpuJob.id}`)).body.waitingReason;
    expect(fromApi?.code).toBe("no_capable_factory");
    expect(errors).toEqual([]);
    await closeContext(page.context());
  });

  it("the DAG view draws the tree of a composite job: an SVG node per child", async () => {
    const children = (await c.tree(composite.id)).children;
    const { page, errors } = await operatorPage();
    await page.goto(`${h.url}/#/jobs/${composite.id}`);
    const view = page.locator(SEL.dagView);
    await view.waitFor({ timeout: 15_000 });
    await expect.poll(() => view.locator("svg").locator(SEL.dagNode).count()).toBeGreaterThanOrEqual(children.length);
    expect(children).toHaveLength(3);
    for (const child of children) {
      const node = view
        .locator("svg")
        .locator(SEL.dagNode)
        .and(page.locator(`[data-job="${child.id}"]`));
      // Polled: a queue-version refresh may be re-drawing the view at this instant.
      await expect.poll(() => node.count(), { message: child.title }).toBe(1);
      await expect.poll(async () => (await node.count()) === 1 && (await node.textContent())).toContain(child.title);
    }
    expect(errors).toEqual([]);
    await closeContext(page.context());
  });

  it("the settings page turns preemption on, and the API reads it back", async () => {
    expect((await c.api<{ preemption: boolean }>("GET", "/settings")).body.preemption).toBe(false);
    const { page, errors } = await operatorPage();
    await page.goto(`${h.url}/#/settings`);
    const form = page.locator(SEL.settingsForm);
    await form.waitFor();
    const box = form.locator("input[name=preemption]");
    const save = form.getByRole("button", { name: "Save" });
    // The form fills itself from GET …/settings once it is drawn: tick the box only after that (Save is enabled then).
    await expect.poll(() => save.isEnabled()).toBe(true);
    expect(await box.isChecked()).toBe(false);
    await box.check();
    await save.click();
    await expect
      .poll(async () => (await c.api<{ preemption: boolean }>("GET", "/settings")).body.preemption)
      .toBe(true);
    // Shown as saved after a reload too.
    await page.reload();
    const again = page.locator(SEL.settingsForm).locator("input[name=preemption]");
    await expect.poll(() => again.isChecked()).toBe(true);
    expect(errors).toEqual([]);
    await closeContext(page.context());
  });

  it("the review card names who approved, and how many approvals are still needed", async () => {
    const approved = await c.api("POST", `/jobs/${reviewed.id}/reviews`, { verdict: "approve" }, reviewer);
    expect(approved.status, JSON.stringify(approved.body)).toBeLessThan(300);
    const { page, errors } = await operatorPage();
    await page.goto(`${h.url}/#/jobs/${reviewed.id}`);
    const card = page.locator(SEL.reviewCard);
    await card.waitFor();
    await expect.poll(async () => (await card.textContent()) ?? "").toContain("alice");
    expect((await card.textContent()) ?? "").toMatch(/1\D+2/); // "1 of 2", "1 / 2 approvals", …
    expect(errors).toEqual([]);
    await closeContext(page.context());
  });

  it("text boxes count UTF-8 bytes, as the server does: past the limit in fewer characters, nothing is sent", async () => {
    const { page, errors } = await operatorPage();
    const sent: string[] = [];
    page.on("request", (r) => {
      if (r.method() !== "GET") sent.push(new URL(r.url()).pathname);
    });
    const said = (selector: string) => async () => (await page.locator(selector).textContent()) ?? "";
    await page.goto(`${h.url}/#/lessons`);
    await page.locator("#lessons-list > *").first().waitFor(); // drawn: the form below it no longer moves
    const text = page.locator("#lesson-text");
    await text.fill("漢".repeat(400)); // 400 characters, 1,200 bytes: a maxlength of 1024 let it through
    expect(await said("#lesson-text-bytes")()).toBe("1200 / 1024 bytes");
    expect(await text.getAttribute("aria-invalid")).toBe("true");
    await page.locator("#lesson-add").click();
    await expect.poll(said("#lessons-status")).toMatch(/lesson is at most 1024 bytes of UTF-8, and this is 1200/);
    await text.fill("漢".repeat(341)); // 1,023 bytes: sent and taken
    expect(await said("#lesson-text-bytes")()).toBe("1023 / 1024 bytes");
    await page.locator("#lesson-add").click();
    await expect.poll(said("#lessons-status"), { timeout: 15_000 }).toMatch(/^Added les_/);
    expect(await said("#lesson-text-bytes")()).toBe("0 / 1024 bytes");
    // The board's serial-gate key and a job's review comment alike.
    await page.goto(`${h.url}/#/jobs`);
    await page.locator("#serial-key").fill("漢".repeat(267)); // 801 bytes
    await page.locator("#serial-reason").fill("the deploy target is down");
    await page.getByRole("button", { name: "Freeze", exact: true }).click();
    await expect.poll(said(".serial-status")).toMatch(/key is at most 800 bytes of UTF-8, and this is 801/);
    // No URL path can carry `.` or `..`: refused in the page, naming why, where a 404 "no route" came back.
    for (const dots of ["..", " . "]) {
      await page.locator("#serial-key").fill(dots);
      await page.getByRole("button", { name: "Freeze", exact: true }).click();
      await expect.poll(said(".serial-status")).toMatch(/freeze not sent: .* is not \. or \.\./);
      expect(await said(".serial-status")()).not.toMatch(/no route|404/);
    }
    // The review card's reads are held: until its round is read it offers no verdict (one sent then would name no
    // round, and count for any rebuild), though the comment box takes text.
    let release = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    let reviewReads = 0;
    await page.route(`**/jobs/${reviewed.id}/reviews`, async (route) => {
      if (route.request().method() === "GET") await released.then(() => reviewReads++);
      await route.continue();
    });
    await page.goto(`${h.url}/#/jobs/${reviewed.id}`);
    const approve = page.locator('[data-review="approve"]');
    await approve.waitFor({ state: "visible" });
    await page.locator("#review-comment").fill("漢".repeat(167)); // 501 bytes
    expect(await said("#review-comment-bytes")()).toBe("501 / 500 bytes");
    expect(await approve.isDisabled()).toBe(true);
    release();
    await expect.poll(() => approve.isEnabled()).toBe(true);
    await expect
      .poll(() => page.locator("#review-summary, .review-summary").textContent())
      .toMatch(/of \d+ approvals?/);
    await approve.click();
    const refusal = /comment is at most 500 bytes of UTF-8, and this is 501/;
    await expect.poll(said(".review-status")).toMatch(refusal);
    expect(reviewReads).toBeGreaterThan(0);
    expect(await said(".review-status")()).toMatch(refusal);
    // Only the lesson within the limit went out (no freeze of `..` reached any path: not `/serial…`, not `/freeze`) (a job page's feed ticket is no write of these boxes).
    expect(sent.filter((p) => /\/(lessons|serial|reviews|freeze)\b/.test(p))).toEqual([
      `/api/v1/products/${PRODUCT}/lessons`,
    ]);
    expect(errors).toEqual([]);
    await closeContext(page.context());
  });
});
