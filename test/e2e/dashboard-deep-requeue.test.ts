// The job page's Requeue agrees with the server at any depth the server allows, in Debian Chromium against the real
// local server: a dead-lettered job at the deepest level (MAX_NESTING_DEPTH ancestors) whose cancelled composite is
// its top job, every job between them shipped, is refused `ancestor_cancelled` by the server — and the page does not
// offer Requeue, naming that job. It read at most 8 ancestors and offered a requeue the server refused.
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_NESTING_DEPTH } from "../../src/core/composite.ts";
import { WsFactory } from "../support/ws-factory.ts";
import { closeContext, launchChromium, newPage } from "./chromium.ts";
import { ADMIN, adminApi, call, type Harness, P, startHarness } from "./harness.ts";

const PRODUCT = "deep-requeue";
/** A server answer on a busy two-core machine. */
const SOON = { timeout: 15_000 };

describe("Requeue below a cancelled composite far up, in a real browser", () => {
  let h: Harness;
  let browser: Browser;
  let factory: WsFactory;
  let operator = "";
  /** The top job (cancelled), its composites level 1 … MAX_NESTING_DEPTH − 1 (shipped), the dead leaf below them. */
  let top = "";
  let leaf = "";

  const api = adminApi(() => h.url, PRODUCT);
  const submit = async (manifest: Record<string, unknown>) =>
    (await api<{ id: string }>("POST", "/jobs", { manifest })).id;

  /** Until job `id` is at `stage` (beforeAll has no expect.poll). */
  async function reaches(id: string, stage: string): Promise<void> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const now = (await api<{ stage: string }>("GET", `/jobs/${id}`)).stage;
      if (now === stage) return;
      if (Date.now() > deadline) throw new Error(`job ${id} is ${now}, never ${stage}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  beforeAll(async () => {
    h = await startHarness();
    operator = (await api<{ token: string }>("POST", "/tokens", { role: "operator", name: "operator" })).token;
    await api("PATCH", "/settings", { leaseTtlSeconds: 3600 });
    factory = await WsFactory.enroll(h.url, PRODUCT, ADMIN, "builder-1", {
      seats: 2,
      capabilities: ["os:linux"],
      autoComplete: false,
      leaseTtlSeconds: 3600,
    });
    // The chain, top down: each composite waits in `blocked`, never pushed; the lowest goes on when a child ships.
    top = await submit({ title: "Top", kind: "composite" });
    const composites = [top];
    for (let level = 1; level < MAX_NESTING_DEPTH; level++) {
      const last = level === MAX_NESTING_DEPTH - 1;
      const parentId = composites[composites.length - 1];
      composites.push(
        await submit({
          title: `Level ${level}`,
          kind: "composite",
          parentId,
          ...(last ? { onChildFailure: "continue" } : {}),
        }),
      );
    }
    const lowest = composites[composites.length - 1];
    // At level MAX_NESTING_DEPTH: the leaf fails its one attempt; its sibling ships, so their parent ships too.
    leaf = await submit({ title: "Dead far below", parentId: lowest, maxAttempts: 1 });
    const sibling = await submit({ title: "Shipped sibling", parentId: lowest });
    const dead = { jobId: leaf, leaseEpoch: (await factory.assignmentOf(leaf)).leaseEpoch };
    await factory.acked({ type: "accept", ...dead });
    await factory.acked({ type: "fail", ...dead, result: { outcome: "failure", rc: 1, message: "boom" } });
    const done = { jobId: sibling, leaseEpoch: (await factory.assignmentOf(sibling)).leaseEpoch };
    await factory.acked({ type: "accept", ...done });
    await factory.acked({ type: "complete", ...done, result: { outcome: "success", rc: 0 } });
    await reaches(sibling, "testing");
    await api("POST", `/jobs/${sibling}/actions/ship`, {});
    // Each composite, its children shipped (or ended, one shipped), is in testing: shipped, bottom up.
    for (const id of composites.slice(1).reverse()) {
      await reaches(id, "testing");
      await api("POST", `/jobs/${id}/actions/ship`, {});
    }
    await reaches(top, "testing");
    await api("POST", `/jobs/${top}/actions/cancel`, {});
    await reaches(top, "cancelled");
    await reaches(leaf, "dead_letter");
    browser = await launchChromium();
  });

  afterAll(async () => {
    factory?.close();
    await browser?.close();
    await h?.close();
  });

  it("is refused by the server and not offered by the page, naming the cancelled top job", async () => {
    const refused = await call<{ code: string; ancestorId?: string }>(
      h.url,
      "POST",
      `${P(PRODUCT)}/jobs/${leaf}/actions/requeue`,
      ADMIN,
      {},
    );
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ code: "ancestor_cancelled", ancestorId: top });

    const { context, page, errors } = await newPage(browser);
    await page.goto(`${h.url}/`);
    await page.getByLabel("Token").fill(operator);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("button", { name: "Sign out" }).waitFor();
    await page.goto(`${h.url}/#/jobs/${leaf}`);
    await expect.poll(() => page.locator(".job-stage .badge").textContent(), SOON).toBe("dead letter");
    const requeue = page.locator('button[data-action="requeue"]');
    await expect.poll(() => requeue.getAttribute("title"), SOON).toContain(`Not offered: ${top} is cancelled`);
    expect(await requeue.isDisabled()).toBe(true);
    expect(errors).toEqual([]);
    await closeContext(context);
  });
});
