// A job action's answer on the job page holds only while the job is where it said, in Debian Chromium against the real
// local server: the action bar's "requeue: job is now queued" goes once the page reads the job assigned again (another
// factory took it), and the review card's "approved: job is now review" once a second approval made elsewhere moves
// the job on — each stood, until the next click, beside a job long since elsewhere (status-text heldOutcome, as the
// budget page's answers since pass 39). So does the board's serial panel's "release-train is frozen" once a read finds
// the key unfrozen elsewhere. A read of the job sent before the requeue landed and answered after it (older: a lower
// rev) contradicts nothing and draws nothing: the answer and the stage it named stay.
import type { APIResponse, Route } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WsFactory } from "../support/ws-factory.ts";
import { fetchRoute } from "./chromium.ts";
import { dashboardSuite, signedInPage } from "./dashboard-session.ts";
import { ADMIN, adminApi } from "./harness.ts";

const PRODUCT = "held-answers";
/** A server answer or the feed's event on a busy two-core machine; never a delay. */
const SOON = { timeout: 20_000 };

describe("job page: an action's answer goes when the job moves on", () => {
  const suite = dashboardSuite(PRODUCT, { tokens: true });
  const api = adminApi(() => suite.h.url, PRODUCT);
  const factories: WsFactory[] = [];

  beforeAll(async () => {
    await api("PATCH", "/settings", { leaseTtlSeconds: 3600 });
  });

  afterAll(() => {
    for (const f of factories) f.close();
  });

  /** A factory holding what it is assigned (never completing on its own), with `capabilities`. */
  const enroll = async (name: string, capabilities: string[] = []) => {
    const opts = { autoComplete: false, leaseTtlSeconds: 3600, capabilities };
    const f = await WsFactory.enroll(suite.h.url, PRODUCT, ADMIN, name, opts);
    factories.push(f);
    return f;
  };
  const open = () => signedInPage(suite, suite.tokens.operator, PRODUCT, { height: 900 });

  it("takes the requeue's answer away once the job is assigned again", async () => {
    const first = await enroll("first-1");
    const id = (await api<{ id: string }>("POST", "/jobs", { manifest: { title: "Requeued" } })).id;
    await first.assignmentOf(id);
    const { page, errors, close } = await open();
    await page.goto(`${suite.h.url}/#/jobs/${id}`);
    const badge = page.locator(".job-stage .badge");
    await expect.poll(() => badge.textContent(), SOON).toBe("assigned");
    const requeue = page.locator('button[data-action="requeue"]');
    await expect.poll(() => requeue.isEnabled(), SOON).toBe(true);
    // The page's reads of the job held from the click on (sent on when let go): the first factory may take the job
    // back at once, and a read drawing that before the answer is looked at would take the answer away unseen.
    let holding = true;
    const held: Route[] = [];
    await page.route(
      (u) => u.pathname.endsWith(`/jobs/${id}`),
      (route) => (holding && route.request().method() === "GET" ? void held.push(route) : route.continue()),
    );
    await requeue.click();
    const status = page.locator(".action-status");
    await expect.poll(() => status.textContent(), SOON).toBe("requeue: job is now queued");
    // Another factory takes it (the first may be kept from it for a while): the page reads it assigned.
    const second = await enroll("second-1");
    await Promise.any([first.assignmentOf(id), second.assignmentOf(id)]);
    holding = false;
    for (const r of held.splice(0)) await r.continue();
    await expect.poll(() => badge.textContent(), SOON).toBe("assigned");
    await expect.poll(() => status.textContent(), SOON).toBe("");
    expect(errors).toEqual([]);
    await close();
  });

  it("takes the review's answer away once an approval made elsewhere moves the job on, not before", async () => {
    // Its own capability: the first case's factories (one of them free) never take it.
    const builder = await enroll("builder-1", ["gpu"]);
    const manifest = { title: "Reviewed", reviewers: 2, requires: ["gpu"] };
    const id = (await api<{ id: string }>("POST", "/jobs", { manifest })).id;
    const lease = { jobId: id, leaseEpoch: (await builder.assignmentOf(id)).leaseEpoch };
    for (const frame of [
      { type: "accept", ...lease },
      { type: "complete", ...lease, result: { outcome: "success", rc: 0 } },
    ])
      expect((await builder.request(frame)).type).toBe("ack");
    const { page, errors, close } = await open();
    await page.goto(`${suite.h.url}/#/jobs/${id}`);
    const badge = page.locator(".job-stage .badge");
    await expect.poll(() => badge.textContent(), SOON).toBe("review");
    const approve = page.locator('button[data-review="approve"]');
    await expect.poll(() => approve.isEnabled(), SOON).toBe(true);
    await approve.click();
    const status = page.locator(".review-status");
    await expect.poll(() => status.textContent(), SOON).toBe("approved: job is now review");
    // Read again while still in review (the card's next read, the approval's event): the answer holds and stays.
    await expect.poll(() => page.locator(".review-summary").textContent(), SOON).toMatch(/^1 of 2 approvals/);
    expect(await status.textContent()).toBe("approved: job is now review");
    await api("POST", `/jobs/${id}/reviews`, { verdict: "approve" });
    await expect.poll(() => badge.textContent(), SOON).not.toBe("review");
    await expect.poll(() => status.textContent(), SOON).toBe("");
    expect(errors).toEqual([]);
    await close();
  });

  it("takes the serial panel's 'is frozen' away once a read finds the key unfrozen elsewhere", async () => {
    const { page, errors, close } = await open();
    await page.goto(`${suite.h.url}/#/jobs`);
    await page.locator("#serial-key").fill("release-train");
    await page.locator("#serial-reason").fill("hold the train");
    await page.locator(".serial-gates").getByRole("button", { name: "Freeze", exact: true }).click();
    const status = page.locator(".serial-status");
    await expect.poll(() => status.textContent(), SOON).toBe("release-train is frozen");
    // The panel's read after the freeze finds it frozen: the answer holds.
    await page.getByRole("button", { name: "Unfreeze release-train" }).waitFor(SOON);
    expect(await status.textContent()).toBe("release-train is frozen");
    await api("POST", "/serial/release-train/unfreeze", {});
    // Read again (the unfreeze moves the queue version): the key, open with no job, is listed no more.
    await expect.poll(() => page.getByRole("button", { name: "Unfreeze release-train" }).count(), SOON).toBe(0);
    await expect.poll(() => status.textContent(), SOON).toBe("");
    expect(errors).toEqual([]);
    await close();
  });

  it("keeps the requeue's answer through a read of the job sent before it landed and answered after", async () => {
    const holder = await enroll("older-1", ["fpga"]);
    const id = (await api<{ id: string }>("POST", "/jobs", { manifest: { title: "Raced", requires: ["fpga"] } })).id;
    const lease = { jobId: id, leaseEpoch: (await holder.assignmentOf(id)).leaseEpoch };
    const { page, errors, close } = await open();
    await page.goto(`${suite.h.url}/#/jobs/${id}`);
    const badge = page.locator(".job-stage .badge");
    await expect.poll(() => badge.textContent(), SOON).toBe("assigned");
    // From now on each read of the job is answered by the coordinator at once, and handed to the page only when let go.
    const held: Array<[Route, APIResponse]> = [];
    await page.route(
      (u) => u.pathname.endsWith(`/jobs/${id}`),
      async (route) => {
        if (route.request().method() !== "GET") return route.continue();
        held.push([route, await fetchRoute(route)]);
      },
    );
    expect((await holder.request({ type: "accept", ...lease, stage: "building" })).type).toBe("ack");
    await expect.poll(() => held.length, SOON).toBeGreaterThan(0); // the page read it building
    const requeue = page.locator('button[data-action="requeue"]');
    await expect.poll(() => requeue.isEnabled(), SOON).toBe(true);
    await requeue.click();
    const status = page.locator(".action-status");
    await expect.poll(() => status.textContent(), SOON).toBe("requeue: job is now queued");
    const [first, response] = held.shift()!;
    const handed = page.waitForEvent("requestfinished", (r) => r === first.request());
    await first.fulfill({ response });
    await handed;
    // The older read draws nothing (job-detail.js: its rev is below the answer's), so it contradicts nothing either:
    // it drew 'building' for a moment, until the next read.
    await page.evaluate("0"); // a round trip of the page's event loop: the answer handed over has been handled
    expect(await badge.textContent()).toBe("queued");
    expect(await status.textContent()).toBe("requeue: job is now queued");
    for (const [route, res] of held.splice(0)) await route.fulfill({ response: res });
    expect(errors).toEqual([]);
    await close();
  });
});
