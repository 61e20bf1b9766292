// The dashboard as a newcomer and an adversary meet it, in Debian Chromium against the real local server: what the
// page hides stays hidden (and the admin-only "keep me signed in" box, shown, sits beside its words; a product typed
// wrong on the sign-in form is said so, not "check the link"), a 375 px phone never scrolls sideways on any page (long unbroken strings included), every action the server allows is offered (a dead-letter
// or held-back job's requeue, a running job's reject) and none it refuses (no requeue below a cancelled composite),
// double clicks send one request, and messages outlive the fleet page's redraws and a failed read.
import type { Browser, Route } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WsFactory } from "../support/ws-factory.ts";
import { closeContext, launchChromium } from "./chromium.ts";
import { untilFleetRedrawn, untilLessonsListed } from "./dashboard-session.ts";
import { ADMIN, adminApi, type Harness, startHarness } from "./harness.ts";
import { withoutWhoami } from "./older-coordinator.ts";
import { settledRead } from "./one-read.ts";

const PRODUCT = "harden";
/** A server answer on a busy two-core machine. */
const SOON = { timeout: 15_000 };

describe("dashboard hardening in a real browser", () => {
  let h: Harness;
  let browser: Browser;
  let factory: WsFactory;
  const tokens = { viewer: "", operator: "" };
  const jobs = { building: "", dead: "", held: "", orphan: "", cancelled: "" };
  let idleFactoryId = "";

  const api = adminApi(() => h.url, PRODUCT);
  const submit = async (manifest: Record<string, unknown>) =>
    (await api<{ id: string }>("POST", "/jobs", { manifest })).id;
  const stageOf = async (id: string) => (await api<{ stage: string }>("GET", `/jobs/${id}`)).stage;

  async function failRun(jobId: string) {
    const a = await factory.assignmentOf(jobId);
    const lease = { jobId, leaseEpoch: a.leaseEpoch };
    await factory.acked({ type: "accept", ...lease });
    await factory.acked({ type: "fail", ...lease, result: { outcome: "failure", rc: 1, message: "boom \u202E" } });
  }

  beforeAll(async () => {
    h = await startHarness();
    for (const role of ["viewer", "operator"] as const)
      tokens[role] = (await api<{ token: string }>("POST", "/tokens", { role, name: role })).token;
    // Long leases; a retry waits an hour (the held-back job stays held); three failed runs open the breaker (an alert).
    await api("PATCH", "/settings", {
      leaseTtlSeconds: 3600,
      retry: { baseSeconds: 3600, maxSeconds: 3600 },
      breaker: { failureThreshold: 3 },
    });
    const caps = ["os:linux"];
    factory = await WsFactory.enroll(h.url, PRODUCT, ADMIN, "builder-1", {
      seats: 4,
      capabilities: caps,
      autoComplete: false,
      leaseTtlSeconds: 3600,
    });
    // A second host, quarantined by an operator: its card has the Release button.
    await api("POST", "/factories/enroll", { name: "idle-1", capabilities: ["gpu"] });
    const { factories } = await api<{ factories: Array<{ id: string; name: string }> }>("GET", "/factories");
    idleFactoryId = factories.find((f) => f.name === "idle-1")!.id;
    await api("POST", `/factories/${idleFactoryId}/status`, { status: "quarantined" });

    jobs.building = await submit({ title: "Being built" });
    const b = await factory.assignmentOf(jobs.building);
    await factory.acked({ type: "accept", jobId: jobs.building, leaseEpoch: b.leaseEpoch });
    await factory.acked({
      type: "progress",
      jobId: jobs.building,
      leaseEpoch: b.leaseEpoch,
      stage: "building",
      pct: 5,
    });
    jobs.dead = await submit({ title: "Out of attempts", maxAttempts: 1 });
    await failRun(jobs.dead);
    // Dead-lettered under a composite cancelled since: a requeue of it is refused (ancestor_cancelled).
    jobs.cancelled = await submit({ title: "Cancelled parent", kind: "composite" }); // blocked: never pushed
    const made = await api<{ children: Array<{ id: string }> }>("POST", `/jobs/${jobs.cancelled}/children`, {
      children: [{ title: "Dead under a cancelled parent", maxAttempts: 1 }],
    });
    jobs.orphan = made.children[0]!.id;
    await failRun(jobs.orphan);
    await api("POST", `/jobs/${jobs.cancelled}/actions/cancel`, {});
    jobs.held = await submit({ title: "Waiting out its retry", maxAttempts: 3 });
    await failRun(jobs.held);
    expect(await stageOf(jobs.building)).toBe("building");
    expect(await stageOf(jobs.dead)).toBe("dead_letter");
    expect(await stageOf(jobs.held)).toBe("queued");
    expect(await stageOf(jobs.orphan)).toBe("dead_letter");

    browser = await launchChromium();
  });

  afterAll(async () => {
    factory?.close();
    await browser?.close();
    await h?.close();
  });

  /**
   * A signed-in page; `errors` collects uncaught exceptions (and console errors other than refused requests). `older`:
   * against a coordinator without whoami, so every control is offered to any role (older-coordinator.ts).
   */
  /** `clock`: the page's clock installed (page.clock.install), for a test that runs it on to the fleet's redraw. */
  async function open(token: string, width = 1280, older = false, clock = false) {
    const context = await browser.newContext({ viewport: { width, height: 800 } });
    const page = await context.newPage();
    if (clock) await page.clock.install();
    if (older) await withoutWhoami(page);
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    page.on("console", (m) => {
      if (m.type() === "error" && !m.text().startsWith("Failed to load resource")) errors.push(m.text());
    });
    await page.goto(`${h.url}/`);
    await page.getByLabel("Token").fill(token);
    if (token === ADMIN) await page.getByLabel("Product").fill(PRODUCT);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("button", { name: "Sign out" }).waitFor();
    return { page, errors, close: () => closeContext(context) };
  }

  it("hides what it hides: the admin-only 'keep me signed in' box, and the health badge once signed out", async () => {
    const { page, errors, close } = await open(tokens.operator);
    await expect.poll(() => page.locator("#health-badge").isVisible(), SOON).toBe(true);
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByLabel("Token").waitFor();
    // Signed out: no product's health is shown over the sign-in form.
    expect(await page.locator("#health-badge").isVisible()).toBe(false);
    // A product token is never kept "as admin": the box appears only for a token that names no product.
    await page.getByLabel("Token").fill(tokens.operator);
    expect(await page.locator("#remember-admin").isVisible()).toBe(false);
    await page.getByLabel("Token").fill(ADMIN);
    expect(await page.locator("#remember-admin").isVisible()).toBe(true);
    // The box sits at the start of its words' line, as wide as itself: `input { width: 100% }` drew it centred on a
    // line of its own above them. Both boxes in one look (settledRead: one evaluateAll), not two boundingBox() round
    // trips, which measure two layouts when anything is drawn between them (dashboard-fleet-link's null box).
    const { box, label } = await settledRead(
      async () =>
        (
          await page.locator("#remember-admin").evaluateAll((els) =>
            els.map((el) => {
              const [b, l] = [
                el.getBoundingClientRect(),
                el.ownerDocument.querySelector('label[for="remember-admin"]'),
              ];
              const lr = l?.getBoundingClientRect();
              return {
                box: { x: b.x, width: b.width, height: b.height },
                label: lr && { x: lr.x, height: lr.height },
              };
            }),
          )
        ).find((m) => m.label !== undefined && m.box.width > 0),
      "the 'keep me signed in' box and its words laid out",
      SOON,
    );
    if (!label) throw new Error("the box's words are not drawn");
    expect(box.width).toBeLessThan(32);
    expect(Math.abs(box.x - label.x)).toBeLessThan(4);
    expect(label.height).toBeLessThan(box.height * 4); // one line (two at most on a narrow form), not box + words
    // A product typed wrong is said as such: the form has no link to check, as the advice for a link's 404 said.
    await page.getByLabel("Product").fill("no-such-product");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect.poll(() => page.locator("#signin-error").textContent(), SOON).toMatch(/check the Product field/);
    expect(await page.locator("#signin-error").textContent()).not.toMatch(/link/);
    expect(errors).toEqual([]);
    await close();
  });

  it("never scrolls sideways on a 375 px phone, on any page, with long unbroken strings on them", async () => {
    // What a page shows that nobody wraps for it: an experiment arm's policy is one long JSON string (R2 saw the
    // Routing page 98 px too wide), a lesson may be a long path, a freeze reason a long URL.
    const { factories } = await api<{ factories: Array<{ id: string; name: string }> }>("GET", "/factories");
    const builderId = factories.find((f) => f.name === "builder-1")!.id;
    const weights = { capabilityFit: 1.25, affinity: 0.75, load: 2.5, costFit: 0.5, health: 1.5, track: 3.25 };
    await api("POST", "/routing/experiments", {
      jobClass: "docs",
      arms: {
        A: { weights, rules: [{ factoryId: builderId, effect: "prefer" }] },
        B: { rules: [{ factoryId: idleFactoryId, effect: "avoid" }] },
      },
      split: 0.5,
      guardrail: { metric: "success_rate", margin: 0.1, confidence: 0.9 },
      minSamples: 5,
    });
    const unbroken = `/srv/build/${"node_modules/.pnpm/".repeat(12)}cache`;
    await api("POST", "/routing/rules", { factoryId: builderId, effect: "prefer", reason: unbroken });
    const lesson = await api<{ id: string }>("POST", "/lessons", { text: `Clear ${unbroken} before the tests` });
    await untilLessonsListed(api, [lesson.id]);
    await api("POST", "/serial/phone-key/freeze", { reason: `see https://example.com/${"x".repeat(150)}` });
    await api("PUT", "/budget", { period: "day", ceilingUsd: 1000, onExhausted: "pause" });

    // An operator: every control is drawn, and the page must not widen with them (a viewer's marker: dashboard-roles).
    const { page, errors, close } = await open(tokens.operator, 375);
    /** Page → how many px wider than the screen it is, for every page that is. */
    const over: Record<string, number> = {};
    const measure = async (name: string) => {
      const extra = (await page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth",
      )) as number;
      if (extra > 0) over[name] = extra;
    };
    /** Each page, and what shows it has its data. */
    const pages: Array<[string, string]> = [
      ["#/jobs", `tr[data-job="${jobs.building}"]`],
      ["#/jobs?stage=queued", `tr[data-job="${jobs.held}"]`],
      [`#/jobs/${jobs.dead}`, "table.runs td"],
      [`#/jobs/${jobs.building}`, ".timeline li"],
      ["#/fleet", `#release-${idleFactoryId}`],
      ["#/settings", "#settings-save:not([disabled])"],
      ["#/budget", `#budget-ceiling:has-text("1000.00")`],
      ["#/lessons", `#lessons-list :text("${unbroken.slice(0, 30)}")`],
      ["#/routing", '[data-testid="routing-rule"]'],
      ["#/alerts", '#alerts-rows [data-testid="alert-row"]'],
    ];
    for (const [hash, ready] of pages) {
      await page.goto(`${h.url}/${hash}`);
      await page.locator(ready).first().waitFor(SOON);
      if (hash === "#/routing") await page.locator('[data-testid="experiment"]').waitFor(SOON);
      await measure(hash);
    }
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByLabel("Token").waitFor();
    await measure("sign-in");
    expect(over).toEqual({});
    expect(errors).toEqual([]);
    await close();
  });

  it("offers every action the server allows: requeue a dead-lettered or held-back job, reject a running one", async () => {
    const { page, errors, close } = await open(tokens.operator);
    const requeue = page.locator('button[data-action="requeue"]');
    for (const id of [jobs.dead, jobs.held]) {
      await page.goto(`${h.url}/#/jobs/${id}`);
      await page.locator(".job-stage .badge").waitFor();
      await expect.poll(() => requeue.isDisabled(), SOON).toBe(false);
      // No log lines: the note says so, with no empty terminal box under it ("No log output yet.", or for the ended
      // dead-lettered job once its artifacts are listed, that none was streamed nor uploaded: dashboard-log-file).
      expect(await page.locator(".log-empty").isVisible()).toBe(true);
      expect(await page.locator(".log-empty").textContent()).toMatch(/^No log output/);
      expect(await page.getByRole("log", { name: "Log output" }).isVisible()).toBe(false);
      await requeue.click();
      await expect.poll(() => page.locator(".action-status").textContent(), SOON).toBe("requeue: job is now queued");
    }
    // The held one no longer waits out its hour: its backoff ends at the requeue (notBefore ≤ now, or none).
    const held = await api<{ notBefore?: number }>("GET", `/jobs/${jobs.held}`);
    expect(held.notBefore ?? 0).toBeLessThanOrEqual(Date.now());
    await page.goto(`${h.url}/#/jobs/${jobs.building}`);
    await expect.poll(() => page.locator(".job-stage .badge").textContent(), SOON).toBe("building");
    expect(await page.locator('button[data-action="reject"]').isDisabled()).toBe(false);
    expect(await page.locator('button[data-action="ship"]').isDisabled()).toBe(true);
    // Dead-lettered like the first, but below a cancelled composite: Requeue is not offered, and says why.
    await page.goto(`${h.url}/#/jobs/${jobs.orphan}`);
    await expect.poll(() => page.locator(".job-stage .badge").textContent(), SOON).toBe("dead letter");
    await expect.poll(() => requeue.isDisabled(), SOON).toBe(true);
    expect(await requeue.getAttribute("title")).toContain(`Not offered: ${jobs.cancelled} is cancelled`);
    expect(errors).toEqual([]);
    await close();
  });

  it("sends one request per double click: an alert's Ack, a lesson's Add and Archive", async () => {
    const { page, errors, close } = await open(tokens.operator);
    const posts: string[] = [];
    page.on("request", (r) => {
      if (r.method() !== "GET") posts.push(`${r.method()} ${new URL(r.url()).pathname}`);
    });
    await page.goto(`${h.url}/#/alerts`);
    const row = page.locator('[data-testid="alert-row"][data-state="open"]').first();
    await row.waitFor();
    const alertId = await row.getAttribute("data-alert-id");
    await row.locator('[data-testid="alert-ack"]').dblclick();
    await expect.poll(() => page.locator("#alerts-status").textContent(), SOON).toBe(`Acknowledged ${alertId}.`);
    expect(posts.filter((p) => p.endsWith("/ack"))).toHaveLength(1);

    await page.goto(`${h.url}/#/lessons`);
    // The list's first read drawn: until then the form below it may move under the pointer between the two clicks.
    await page.locator("#lessons-list > *").first().waitFor(SOON);
    await page.locator("#lesson-text").fill("Run the migrations before the tests");
    await page.locator("#lesson-add").dblclick();
    await expect.poll(() => page.locator("#lessons-status").textContent(), SOON).toMatch(/^Added les_/);
    expect(posts.filter((p) => p.endsWith("/lessons"))).toHaveLength(1);
    const archive = page.locator("#lessons-list button", { hasText: "Archive" }).first();
    expect(await archive.getAttribute("aria-label")).toMatch(/^Archive lesson les_/); // which one, for a screen reader
    await archive.dblclick();
    await expect.poll(() => page.locator("#lessons-status").textContent(), SOON).toMatch(/^Archived les_/);
    expect(posts.filter((p) => p.startsWith("PATCH"))).toHaveLength(1);
    expect(errors).toEqual([]);
    await close();
  });

  it("isolates a run's right-to-left override: the exit code written after its message still reads left to right", async () => {
    // The dead-lettered job's run failed with "boom \u202E": an override a factory (anyone's engine) wrote.
    const { page, errors, close } = await open(tokens.viewer);
    await page.goto(`${h.url}/#/jobs/${jobs.dead}`);
    const rc = page.locator("table.runs td span.muted", { hasText: "rc 1" }).first();
    await rc.waitFor(SOON);
    // Where the browser drew the first and last characters of " (rc 1)": reversed, the "(" would be right of the ")".
    // Measured until the span has a box: the poller may redraw the runs table between the wait and the measure, and a
    // span caught mid-redraw has no layout (both edges 0), which says nothing about its direction.
    const edges = () =>
      // biome-ignore lint/suspicious/noExplicitAny: a DOM element in the page
      rc.evaluate((el: any) => {
        el.style.whiteSpace = "nowrap"; // one line, so left of means before
        const node = el.firstChild;
        const at = (i: number) => {
          // biome-ignore lint/suspicious/noExplicitAny: the page's Range
          const r = new (globalThis as any).Range();
          r.setStart(node, i);
          r.setEnd(node, i + 1);
          return r.getBoundingClientRect() as { left: number; width: number };
        };
        const [a, b] = [at(1), at(node.length - 1)];
        return a.width > 0 && b.width > 0 ? [a.left, b.left] : null;
      });
    // The measure that had a box is the one read: measuring again could catch the next redraw (null), and did (a run
    // with five files beside it).
    let measured: number[] | null = null;
    await expect
      .poll(async () => {
        measured = await edges();
        return measured;
      }, SOON)
      .not.toBeNull();
    const [first, last] = measured as unknown as [number, number];
    expect(first).toBeLessThan(last);
    expect(errors).toEqual([]);
    await close();
  });

  it("keeps a refusal readable on the fleet page through its redraws, and clears a failed read once one works", async () => {
    // A viewer whose role the page cannot tell (no whoami): it is offered Release, and the server refuses it.
    const { page, errors, close } = await open(tokens.viewer, 1280, true, true);
    await page.goto(`${h.url}/#/fleet`);
    const release = page.locator(`#release-${idleFactoryId}`);
    const redrawn = async () => (await page.locator(`#release-${idleFactoryId}[data-old]`).count()) === 0;
    // The refusal is held until the cards were redrawn: it was written to the replaced card's line, out of sight.
    let held: Route | undefined;
    await page.route(`**/factories/${idleFactoryId}/release`, (route) => {
      held = route;
    });
    await release.click();
    await expect.poll(() => held !== undefined, SOON).toBe(true);
    await release.evaluate((el) => el.setAttribute("data-old", ""));
    await untilFleetRedrawn(page, redrawn);
    await held!.continue();
    const status = page.locator(`#release-status-${idleFactoryId}`);
    await expect.poll(() => status.textContent(), SOON).toContain("Not released: ");
    expect(await status.textContent()).toContain("(forbidden)");
    // Wait for the cards to be redrawn (the shared poller's next tick), then read the refusal again.
    await release.evaluate((el) => el.setAttribute("data-old", ""));
    await untilFleetRedrawn(page, redrawn);
    expect(await status.textContent()).toContain("(forbidden)");
    expect(await status.getAttribute("class")).toContain("error");
    // Keyboard focus on a card's button survives a redraw too.
    await release.focus();
    await release.evaluate((el) => el.setAttribute("data-old", ""));
    await untilFleetRedrawn(page, redrawn);
    expect(await page.evaluate("document.activeElement?.id")).toBe(`release-${idleFactoryId}`);

    // The lessons list cannot be read once (the network failed), then can: the stale error goes.
    await page.route("**/lessons?**", (route) => route.abort(), { times: 1 });
    await page.goto(`${h.url}/#/lessons`);
    await expect.poll(() => page.locator("#lessons-status").textContent(), SOON).toContain("Cannot load lessons");
    await page.locator("#lessons-source").selectOption("auto");
    await expect.poll(() => page.locator("#lessons-status").textContent(), SOON).toBe("");
    expect(errors).toEqual([]);
    await close();
  });
});
