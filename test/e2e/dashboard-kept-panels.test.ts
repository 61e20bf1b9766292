// The job page's panels through answers that do not carry what they show, in Debian Chromium against the real local
// server: an action's and a review's answer carry no waiting reason, and the "Why is it waiting?" panel vanished on
// each (until the next read of the job, which is held here) — it stays, as it was; the DAG panel's failed read of the
// tree (refused here by page.route) went into a panel hidden until the job turned out to have children, so it was
// never seen — it is shown on a composite's page (not on a task's), and read again on the poller's next tick, which
// draws the children once the coordinator answers; so are its runs, its explanation, its artifacts and its reviews
// after a failed read. A waiting job's reason is read again when the fleet moves (a factory with what it needs
// enrolled): that moves no queue version and sends the job's feed nothing, so "No capable factory" stood for good; and
// once the end its reason names has passed (a retry's backoff), which moves nothing either: one read, by the page's
// clock — "retrying after its backoff, at 15:02" stood for good after 15:02. A
// job page left while its action was out (a slow coordinator) drew the action's answer when it came — and titled the
// tab, now on the board, after the job left, for good.
import type { Page, Route } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WsFactory } from "../support/ws-factory.ts";
import { fetchRoute } from "./chromium.ts";
import { dashboardSuite, onClock, pressHeld, signedInPage } from "./dashboard-session.ts";
import { ADMIN, adminApi } from "./harness.ts";
import { type JobReads, jobReads } from "./job-reads.ts";

const PRODUCT = "kept-panels";
/** A server answer on a busy two-core machine. */
const SOON = { timeout: 15_000 };

describe("job page panels kept through answers without their field", () => {
  const suite = dashboardSuite(PRODUCT, { tokens: true });
  let factory: WsFactory;
  const inReview: string[] = [];
  let composite = "";
  let task = "";

  const api = adminApi(() => suite.h.url, PRODUCT);

  beforeAll(async () => {
    await api("PATCH", "/settings", { leaseTtlSeconds: 3600 });
    factory = await WsFactory.enroll(suite.h.url, PRODUCT, ADMIN, "builder-1", {
      seats: 2,
      autoComplete: false,
      leaseTtlSeconds: 3600,
    });
    // Two jobs built and in review, each waiting for two approvals: one approval leaves it waiting in review.
    for (const title of ["Bar approve", "Card approve"]) {
      const id = (await api<{ id: string }>("POST", "/jobs", { manifest: { title, reviewers: 2 } })).id;
      const lease = { jobId: id, leaseEpoch: (await factory.assignmentOf(id)).leaseEpoch };
      for (const frame of [
        { type: "accept", ...lease },
        { type: "complete", ...lease, result: { outcome: "success", rc: 0 } },
      ])
        expect((await factory.request(frame)).type).toBe("ack");
      inReview.push(id);
    }
    // GPU-only, so no job of these runs meanwhile.
    composite = (
      await api<{ id: string }>("POST", "/jobs", {
        manifest: { title: "Release", children: [{ title: "Build", requires: ["gpu"] }] },
      })
    ).id;
    task = (await api<{ id: string }>("POST", "/jobs", { manifest: { title: "Plain", requires: ["gpu"] } })).id;
  });

  afterAll(() => factory?.close());

  const open = () => signedInPage(suite, suite.tokens.operator, PRODUCT, { height: 900 });

  /** Hold the page's GETs of the job itself from now on, until release(). */
  async function holdJobReads(page: Page, id: string) {
    const held: Route[] = [];
    let open = false;
    await page.route(
      (u) => u.pathname.endsWith(`/jobs/${id}`),
      (route) => (open || route.request().method() !== "GET" ? route.continue() : void held.push(route)),
    );
    return {
      release: async () => {
        open = true;
        for (const r of held.splice(0)) await r.continue();
      },
    };
  }

  const panel = (page: Page) => page.locator(".waiting-slot .waiting-panel");

  for (const [n, via] of [
    [0, "the action bar's approve"],
    [1, "the review card's approve"],
  ] as const)
    it(`keeps "Why is it waiting?" through ${via}, whose answer carries no reason, until a read replaces it`, async () => {
      const id = inReview[n]!;
      const { page, errors, close } = await open();
      await page.goto(`${suite.h.url}/#/jobs/${id}`);
      await expect.poll(() => panel(page).getAttribute("data-code"), SOON).toBe("review_pending");
      const approvals = panel(page).locator('[data-waiting-detail="approvals"] dd');
      expect(await approvals.textContent()).toBe("0");
      const reads = await holdJobReads(page, id);
      const button = page.locator(n === 0 ? 'button[data-action="approve"]' : 'button[data-review="approve"]');
      await expect.poll(() => button.isEnabled(), SOON).toBe(true);
      await button.click();
      // The answer is drawn (the status says so, in the same task): the panel is still there, as it was.
      const status = page.locator(n === 0 ? ".action-status" : ".review-status");
      await expect.poll(() => status.textContent(), SOON).toMatch(/^approved?: job is now review$/);
      expect(await panel(page).getAttribute("data-code")).toBe("review_pending");
      expect(await panel(page).getAttribute("aria-busy")).toBeNull(); // still in review: not stale
      // The next read brings the new reason, with the approval.
      await reads.release();
      await expect.poll(() => approvals.textContent(), SOON).toBe("1");
      expect(errors).toEqual([]);
      await close();
    });

  /** Refuse the page's reads of a path ending in `suffix` (503) while `refusing.on`. */
  async function refuse(page: Page, suffix: string) {
    const refusing = { on: true, refused: 0 };
    await page.route(
      (u) => u.pathname.endsWith(suffix),
      (route) => {
        if (!refusing.on) return route.continue();
        refusing.refused++;
        return route.fulfill({
          status: 503,
          contentType: "application/problem+json",
          json: { type: "about:blank", title: "Unavailable", detail: "store down", code: "unavailable" },
        });
      },
    );
    return refusing;
  }

  it("shows a composite's failed tree read in its Children panel, and draws the children once a later read works", async () => {
    const { page, errors, close } = await open();
    const refusing = await refuse(page, `/jobs/${composite}/tree`);
    await page.goto(`${suite.h.url}/#/jobs/${composite}`);
    // Exact: the panel, not its graph's scrolling box ("Children graph").
    const children = page.getByRole("region", { name: "Children", exact: true });
    await expect.poll(() => children.isVisible(), SOON).toBe(true);
    expect(await children.locator(".status").textContent()).toContain("Cannot read this job's children");
    expect(await children.locator(".status").textContent()).toContain("store down");
    // Nothing moves the queue version here: the poller's next tick reads the tree again.
    refusing.on = false;
    await expect.poll(() => children.locator("svg.dag a.dag-node").count(), SOON).toBe(2);
    expect(await children.locator(".status").textContent()).toBe("");
    expect(errors).toEqual([]);
    await close();
  });

  it("keeps a task's Children panel hidden when its tree read fails: a task has no children", async () => {
    const { page, errors, close } = await open();
    const refusing = await refuse(page, `/jobs/${task}/tree`);
    await page.goto(`${suite.h.url}/#/jobs/${task}`);
    await expect.poll(() => page.locator("#job-title").textContent(), SOON).toBe("Plain");
    await expect.poll(() => refusing.refused, SOON).toBeGreaterThan(0);
    await expect.poll(() => page.locator('section[aria-labelledby="dag-title"]').isHidden(), SOON).toBe(true);
    expect(errors).toEqual([]);
    await close();
  });

  it("reads the runs, the explanation and the artifacts again on the next tick after a read of them failed", async () => {
    const { page, errors, close } = await open();
    const runs = await refuse(page, `/jobs/${composite}/runs`);
    const explain = await refuse(page, `/jobs/${composite}/explain`);
    const artifacts = await refuse(page, `/jobs/${composite}/artifacts`);
    await page.goto(`${suite.h.url}/#/jobs/${composite}`);
    const runsPanel = page.getByRole("region", { name: "Runs", exact: true });
    const explainPanel = page.getByRole("region", { name: "Explain" });
    const artifactsPanel = page.getByRole("region", { name: "Artifacts" });
    await expect.poll(() => runsPanel.locator(".status").textContent(), SOON).toContain("store down");
    await expect.poll(() => explainPanel.locator(".status").textContent(), SOON).toContain("store down");
    await expect.poll(() => artifactsPanel.locator(".status").textContent(), SOON).toContain("store down");
    // Nothing moves the queue version nor the job's feed here: the poller's next tick reads them again.
    runs.on = false;
    explain.on = false;
    artifacts.on = false;
    await expect.poll(() => runsPanel.locator(".empty").textContent(), SOON).toBe("No attempts yet.");
    await expect.poll(() => explainPanel.locator(".status").textContent(), SOON).toBe("");
    await expect.poll(() => artifactsPanel.locator(".empty").textContent(), SOON).toBe("No artifacts yet.");
    expect(await artifactsPanel.locator(".status").textContent()).toBe("");
    expect(errors).toEqual([]);
    await close();
  });

  it("reads a job's reviews again on the next tick after a read of them failed", async () => {
    const { page, errors, close } = await open();
    const id = inReview[0]!;
    const reviews = await refuse(page, `/jobs/${id}/reviews`);
    // The feed's replay of the job's stage events (each reads the reviews once the job is read) is drawn before the
    // job is read: the reviews are read once, when the job shows the panel, and no event comes after.
    const reads = await holdJobReads(page, id);
    await page.goto(`${suite.h.url}/#/jobs/${id}`);
    await expect.poll(() => page.locator(".feed-state").textContent(), SOON).toBe("live");
    await reads.release();
    const reviewPanel = page.getByRole("region", { name: "Review", exact: true });
    await expect.poll(() => reviewPanel.locator(".review-status").textContent(), SOON).toContain("store down");
    // A job waiting in review may have no review or stage event for hours: the poller's next tick reads them again.
    reviews.on = false;
    await expect.poll(() => reviewPanel.locator(".review-summary").textContent(), SOON).toMatch(/^\d of 2 approvals/);
    expect(await reviewPanel.locator(".review-status").textContent()).toBe("");
    expect(errors).toEqual([]);
    await close();
  });

  it("reads a waiting job again when the fleet its reason is about moves, which bumps no queue version", async () => {
    const { page, errors, close } = await signedInPage(suite, suite.tokens.operator, PRODUCT, {
      route: (p) => p.clock.install(), // the poller's ticks reached by running the page's clock on (onClock)
    });
    await page.goto(`${suite.h.url}/#/jobs/${task}`);
    await expect.poll(() => panel(page).getAttribute("data-code"), SOON).toBe("no_capable_factory");
    const before = await api<{ version: number }>("GET", "/queue-state");
    // A factory with the GPU the job needs, enrolled and not connected: nothing the job's feed or the version says.
    await api("POST", "/factories/enroll", { name: "gpu-1", capabilities: ["gpu"], seats: 1 });
    const now = (await api<{ waitingReason: { code: string } }>("GET", `/jobs/${task}`)).waitingReason.code;
    expect(now).not.toBe("no_capable_factory");
    await expect
      .poll(
        onClock(page, 5_000, () => panel(page).getAttribute("data-code")),
        SOON,
      )
      .toBe(now);
    expect((await api<{ version: number }>("GET", "/queue-state")).version).toBe(before.version);
    expect(errors).toEqual([]);
    await close();
  });

  it("reads a waiting job again once the end its reason names has passed, which moves nothing else", async () => {
    const id = (await api<{ id: string }>("POST", "/jobs", { manifest: { title: "Backing off", requires: ["tpu"] } }))
      .id;
    const now = (await api<{ waitingReason: { code: string } }>("GET", `/jobs/${id}`)).waitingReason.code;
    let doctored = 0;
    let seen: JobReads | undefined;
    const { page, errors, close } = await signedInPage(suite, suite.tokens.operator, PRODUCT, {
      route: async (p) => {
        await p.clock.install(); // the end reached by running the page's clock on (onClock)
        seen = jobReads(p, id);
        // The first read says a retry's backoff a minute ahead; every later one is the coordinator's own answer.
        await p.route(
          (u) => u.pathname.endsWith(`/jobs/${id}`),
          async (route) => {
            if (route.request().method() !== "GET" || doctored++ > 0) return route.continue();
            const job = await (await fetchRoute(route)).json();
            const until = Date.now() + 60_000;
            const reason = { code: "retry_backoff", message: "retrying", since: job.queuedAt, detail: { until } };
            return route.fulfill({ json: { ...job, notBefore: until, waitingReason: reason } });
          },
        );
      },
    });
    await page.goto(`${suite.h.url}/#/jobs/${id}`);
    await expect.poll(() => panel(page).getAttribute("data-code"), SOON).toBe("retry_backoff");
    await expect
      .poll(
        onClock(page, 20_000, () => panel(page).getAttribute("data-code")),
        SOON,
      )
      .toBe(now);
    // One read at the end, not a poll: two in all, and one more only for each thing the page was told that it cannot
    // tell from a change (jobReads) — held to exactly 2, a loaded run failed when the page read again as it should.
    const { reads, excused, heard } = seen!;
    expect(reads.n, JSON.stringify({ excused, heard }, null, 1)).toBeLessThanOrEqual(2 + excused.length);
    expect(errors).toEqual([]);
    await close();
  });

  it("does not title the board after a job left while its action was out", async () => {
    const { page, errors, close } = await open();
    await page.goto(`${suite.h.url}/#/jobs/${task}`);
    const cancel = page.locator('button[data-action="cancel"]');
    const held = await pressHeld(page, cancel, { method: "POST", suffix: `/jobs/${task}/actions/cancel`, by: "click" });
    // Off to the board while the cancel is out: the board titles the tab "Gigafactory".
    await page.goto(`${suite.h.url}/#/jobs`);
    await expect.poll(() => page.locator("table.jobs").count(), SOON).toBe(1);
    expect(await page.title()).toBe("Gigafactory");
    const answered = page.waitForResponse((r) => r.url().endsWith(`/jobs/${task}/actions/cancel`));
    held.answer();
    await (await answered).finished();
    // The answer drawn by the page left asked the poller at once; with none drawn, the poller's next read comes anyway.
    await page.waitForRequest((r) => r.url().endsWith("/queue-state"), SOON);
    expect(await page.title()).toBe("Gigafactory");
    expect(errors).toEqual([]);
    await close();
  });
});
