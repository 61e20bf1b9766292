// The browser dashboard end to end: Debian Chromium (playwright-core) against the real
// local server, with a product whose jobs sit in several stages, a factory on a real
// WebSocket, and events that happen while the page is open.
import { mkdirSync } from "node:fs";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Assignment } from "../../src/shared/protocol.ts";
import { WsFactory } from "../support/ws-factory.ts";
import { closeContext, launchChromium } from "./chromium.ts";
import { ADMIN, call, type Harness, mintRoleTokens, P, startHarness } from "./harness.ts";

const PRODUCT = "dash";
const SHOTS = path.resolve(import.meta.dirname, "../../.tmp");

interface JobBody {
  id: string;
  stage: string;
}

describe("dashboard in a real browser", () => {
  let h: Harness;
  let browser: Browser;
  let factory: WsFactory;
  const tokens = { viewer: "", operator: "" };
  const jobs: Record<string, JobBody> = {};
  let buildLease: { jobId: string; leaseEpoch: number };

  async function submit(manifest: Record<string, unknown>, bodyMd = ""): Promise<JobBody> {
    const r = await call<JobBody>(h.url, "POST", `${P(PRODUCT)}/jobs`, ADMIN, { manifest, bodyMd });
    expect(r.status).toBe(201);
    return r.body;
  }

  async function stageOf(jobId: string): Promise<string> {
    return (await call<JobBody>(h.url, "GET", `${P(PRODUCT)}/jobs/${jobId}`, ADMIN)).body.stage;
  }

  beforeAll(async () => {
    h = await startHarness();
    Object.assign(tokens, await mintRoleTokens(h.url, PRODUCT));
    const caps = ["has:docker", "node:22", "os:linux"];
    const builder = await call<{ token: string }>(h.url, "POST", `${P(PRODUCT)}/factories/enroll`, ADMIN, {
      name: "builder-1",
      capabilities: caps,
      seats: 4,
    });
    // The product's lease TTL governs (a factory may only shorten it): long leases, so no job expires mid-test.
    expect((await call(h.url, "PATCH", `${P(PRODUCT)}/settings`, ADMIN, { leaseTtlSeconds: 3600 })).status).toBe(200);
    // A second host that never connects: enrolled, active, but down.
    await call(h.url, "POST", `${P(PRODUCT)}/factories/enroll`, ADMIN, { name: "gpu-box-1", capabilities: ["gpu"] });
    factory = await WsFactory.connect(h.url, PRODUCT, builder.body.token, {
      seats: 4,
      capabilities: caps,
      autoComplete: false,
      leaseTtlSeconds: 3600,
    });

    // queued: nothing connected has a GPU. blocked: waits on the queued job.
    jobs.queued = await submit({ title: "Train the ranking model", requires: ["gpu"], priority: "high" });
    jobs.blocked = await submit({ title: "Deploy the trained model", deps: [jobs.queued.id] });
    // building: held by the factory. Its title and body carry markup that must stay text.
    jobs.building = await submit(
      {
        title: "<img src=x onerror=window.pwned=1> Fix login redirect",
        priority: "critical",
        repo: "git@example.com:app.git",
      },
      "# Fix the login redirect\n\n<script>window.pwned = 1</script>\n\n- keep the session cookie\n- add a test",
    );
    const b = await factory.assignmentOf(jobs.building.id);
    buildLease = { jobId: b.job.id, leaseEpoch: b.leaseEpoch };
    await factory.acked({ type: "accept", ...buildLease });
    await factory.acked({ type: "progress", ...buildLease, stage: "building", pct: 10, note: "cloning" });
    // testing, review, shipped, failed, cancelled.
    jobs.testing = await submit({ title: "Add a metrics endpoint" });
    await factory.acked({
      type: "complete",
      ...lease(await factory.assignmentOf(jobs.testing.id)),
      result: { outcome: "success", rc: 0 },
    });
    jobs.review = await submit({ title: "Rewrite the billing job", reviewers: 1 });
    await factory.acked({
      type: "complete",
      ...lease(await factory.assignmentOf(jobs.review.id)),
      result: { outcome: "success", rc: 0 },
    });
    jobs.shipped = await submit({ title: "Document the CLI" });
    await factory.acked({
      type: "complete",
      ...lease(await factory.assignmentOf(jobs.shipped.id)),
      result: { outcome: "success", rc: 0 },
    });
    expect((await call(h.url, "POST", `${P(PRODUCT)}/jobs/${jobs.shipped.id}/actions/ship`, ADMIN, {})).status).toBe(
      200,
    );
    jobs.failed = await submit({ title: "Migrate the orders table" });
    await factory.acked({
      type: "fail",
      ...lease(await factory.assignmentOf(jobs.failed.id)),
      result: { outcome: "failure", rc: 1, message: "migration check failed", retryable: false },
    });
    jobs.cancelled = await submit({ title: "Old experiment", requires: ["gpu"] });
    expect(
      (await call(h.url, "POST", `${P(PRODUCT)}/jobs/${jobs.cancelled.id}/actions/cancel`, ADMIN, {})).status,
    ).toBe(200);
    for (const [stage, job] of Object.entries(jobs)) expect(await stageOf(job.id)).toBe(stage);

    browser = await launchChromium();
    mkdirSync(SHOTS, { recursive: true });
  });

  afterAll(async () => {
    factory?.close();
    await browser?.close();
    await h?.close();
  });

  it("signs in, shows fleet and jobs, streams a job's timeline live, explains it and cancels it", async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    const pageErrors: string[] = [];
    page.on("pageerror", (e) => pageErrors.push(e.message));

    // ---- sign-in: a bad token is refused readably; the product is read from the token.
    await page.goto(`${h.url}/`);
    await page.getByLabel("Token").fill(`gf_${PRODUCT}_${"A".repeat(43)}`);
    await expect.poll(() => page.getByLabel("Product").inputValue()).toBe(PRODUCT);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect.poll(() => text(page, "#signin-error")).toContain("Authentication required");
    expect(await text(page, "#signin-error")).toContain("not recognised");

    await signIn(page, tokens.viewer);
    await page.locator("table.jobs").waitFor();
    expect(await text(page, ".session .product")).toBe(PRODUCT);

    // ---- jobs table: every job with its stage, newest first; markup in a title stays text.
    for (const [stage, job] of Object.entries(jobs)) {
      await expect.poll(() => page.locator(`tr[data-job="${job.id}"]`).getAttribute("data-stage")).toBe(stage);
      expect(await text(page, `tr[data-job="${job.id}"] .badge`)).toBe(stage);
    }
    const order = await page
      .locator("tbody tr[data-job]")
      .evaluateAll((rows) => rows.map((r) => r.getAttribute("data-job")));
    expect(order[0]).toBe(jobs.cancelled!.id);
    expect(order[order.length - 1]).toBe(jobs.queued!.id);
    expect(await text(page, `tr[data-job="${jobs.building!.id}"] td.title a`)).toContain("<img src=x");
    expect(await page.locator("td.title img").count()).toBe(0);

    // Stage chips count per stage; choosing one filters the table.
    await expect.poll(() => text(page, 'a[data-stage="building"] .count')).toBe("1");
    await expect.poll(() => text(page, 'a[data-stage="all"] .count')).toBe("8");
    await page.locator('a[data-stage="building"]').click();
    await expect.poll(() => page.locator("tbody tr[data-job]").count()).toBe(1);
    await page.locator(`tr[data-job="${jobs.building!.id}"]`).waitFor();
    await page.locator('a[data-stage="all"]').click();
    await expect.poll(() => page.locator("tbody tr[data-job]").count()).toBe(8);

    // Why each waiting job waits, in plain words under its stage (core/waiting); a running job has no note.
    await expect
      .poll(() => text(page, `tr[data-job="${jobs.queued!.id}"] .waiting`))
      .toMatch(/^no factory that can run it is connected \(gpu-box-1\) — start the agent on its host/);
    expect(await text(page, `tr[data-job="${jobs.blocked!.id}"] .waiting`)).toContain(`${jobs.queued!.id} (queued)`);
    expect(await page.locator(`tr[data-job="${jobs.building!.id}"] .waiting`).count()).toBe(0);

    await page.screenshot({ path: path.join(SHOTS, "dashboard-jobs.png"), fullPage: true });

    // The job page says it with its detail: which dependency, in which stage.
    await page.goto(`${h.url}/#/jobs/${jobs.blocked!.id}`);
    await expect.poll(() => page.locator(".waiting-panel").getAttribute("data-code")).toBe("deps_unmet");
    expect(await text(page, '.waiting-panel [data-waiting-detail="waitingOn"] dd')).toBe(jobs.queued!.id);
    await page.goto(`${h.url}/#/jobs`);
    await page.locator("table.jobs").waitFor();

    // ---- fleet map.
    await page.getByRole("link", { name: "Fleet", exact: true }).click();
    const builder = page.locator('li[data-factory="builder-1"]');
    await builder.waitFor();
    expect(await builder.textContent()).toContain("active");
    expect(await builder.textContent()).toContain("health ok");
    expect(await builder.locator('ul[aria-label="Capabilities"] li').allTextContents()).toEqual([
      "has:docker",
      "node:22",
      "os:linux",
    ]);
    expect(await builder.textContent()).toContain("1 / 4 seats");
    // Enrolled but never connected: said so, not "health down"; its seat is named apart from the builder's 4.
    expect(await page.locator('li[data-factory="gpu-box-1"]').textContent()).toContain("never connected");
    expect(await text(page, "#fleet-summary")).toBe(
      "2 factories · 1 of 4 seats busy · 1 more seat on factories down or never connected",
    );
    expect(await text(page, ".summary .version")).toMatch(/^queue v\d+$/);
    await page.screenshot({ path: path.join(SHOTS, "dashboard-fleet.png") });

    // ---- a viewer may look but not act: no action is offered (dashboard/role.js), and the header says why. (What a
    // refused action says is test/e2e/dashboard-roles', against a coordinator without whoami.)
    await page.goto(`${h.url}/#/jobs/${jobs.building!.id}`);
    await expect.poll(() => text(page, ".job-stage .badge")).toBe("building");
    expect(await page.locator('button[data-action="requeue"]').isVisible()).toBe(false);
    expect(await text(page, "#role-marker")).toBe("read-only (viewer token)");

    // ---- sign out; sign in as an operator.
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByLabel("Token").waitFor();
    expect(await page.evaluate(() => localStorage.length)).toBe(0);
    await signIn(page, tokens.operator);

    // ---- job detail: header, manifest as text, replayed timeline, then live events.
    await page.goto(`${h.url}/#/jobs/${jobs.building!.id}`);
    await expect.poll(() => text(page, ".job-stage .badge")).toBe("building");
    await expect.poll(() => text(page, ".feed-state")).toBe("live");
    await page.locator('.timeline li[data-type="lease.granted"]').waitFor();
    expect(await text(page, '[data-fact="priority"] dd')).toBe("critical");
    expect(await text(page, '[data-fact="attempt"] dd')).toBe("1 / 3");
    expect(await text(page, '[data-fact="epoch"] dd')).toBe(String(buildLease.leaseEpoch));
    expect(await text(page, '[data-fact="holder"] dd')).toContain("builder-1");
    expect(await text(page, "pre.manifest")).toContain("<script>window.pwned = 1</script>");
    expect(await page.evaluate("typeof window.pwned")).toBe("undefined");

    // Explain: the connected factory ranked term by term, the down one filtered out with reasons.
    const ranked = page.locator('.candidate[data-factory="builder-1"]');
    await ranked.waitFor();
    expect(await ranked.locator("tr.term").count()).toBe(7); // the six weighted terms and the learned `track` (issue 11)
    expect(await text(page, '.candidate[data-factory="builder-1"] tr[data-term="load"]')).toMatch(/load.*× 1.*[+−]/);
    // In words (dashboard/filter-words.js), the code kept as the chip's data-reason.
    const chips = page.locator('.rejected li[data-factory="gpu-box-1"] .reasons li');
    expect(await chips.allTextContents()).toEqual(["down: no heartbeat for 3 intervals"]);
    expect(await chips.first().getAttribute("data-reason")).toBe("factory_down");

    // Events that happen after the page opened arrive without a reload.
    const before = await page.locator(".timeline li").count();
    const at = Date.now();
    await factory.acked({
      type: "progress",
      ...buildLease,
      pct: 40,
      note: "running tests",
      checkpoint: { branch: "gf/fix-login", sha: "abcdef1234567", note: "tests green" },
      logs: [
        { stream: "stdout", text: "PASS test/login.test.ts (sent after the page opened)", at },
        { stream: "stderr", text: "warning: <b>not bold</b>", at },
      ],
    });
    await expect.poll(() => text(page, ".log")).toContain("PASS test/login.test.ts (sent after the page opened)");
    expect(await text(page, ".log .stderr .x")).toBe("warning: <b>not bold</b>");
    await page.locator('.timeline li[data-type="progress"]', { hasText: "40 % · running tests" }).waitFor();
    await expect.poll(() => text(page, '[data-fact="checkpoint"] dd')).toContain("gf/fix-login");
    expect(await page.locator(".timeline li").count()).toBeGreaterThan(before);

    // An artifact uploaded now appears, and downloads with the bearer header via a blob URL.
    const content = "build log line 1\nbuild log line 2\n";
    const up = await fetch(`${h.url}${P(PRODUCT)}/jobs/${jobs.building!.id}/artifacts?name=build.log`, {
      method: "POST",
      headers: { authorization: `Bearer ${tokens.operator}`, "content-type": "text/plain" },
      body: content,
    });
    expect(up.status).toBe(201);
    const item = page.locator('li[data-artifact="build.log"]');
    await item.waitFor();
    const [download] = await Promise.all([page.waitForEvent("download"), item.getByRole("button").click()]);
    expect(download.suggestedFilename()).toBe("build.log");
    // Read through the connection (the run shares one browser server, test/e2e/chromium.ts): `path()` is local-only.
    const chunks: Buffer[] = [];
    for await (const chunk of await download.createReadStream()) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).toString("utf8")).toBe(content);

    await page.evaluate("window.scrollTo(0, 0)");
    await page.screenshot({ path: path.join(SHOTS, "dashboard.png"), fullPage: true });

    // ---- an action: cancel (confirmed) moves the stage shown, live.
    page.once("dialog", (d) => void d.accept());
    await page.locator('button[data-action="cancel"]').click();
    await expect.poll(() => text(page, ".job-stage .badge")).toBe("cancelled");
    expect(await text(page, ".action-status")).toBe("cancel: job is now cancelled");
    await page.locator('.timeline li[data-type="job.stage"]', { hasText: "building → cancelled" }).waitFor();
    await page.locator('.timeline li[data-type="job.action"]', { hasText: "cancel by operator:operator" }).waitFor();
    expect(await stageOf(jobs.building!.id)).toBe("cancelled");

    // ---- the feed survives a server restart: it reconnects and resumes after the last seq.
    await h.restart("stop");
    const again = await fetch(`${h.url}${P(PRODUCT)}/jobs/${jobs.building!.id}/artifacts?name=report.txt`, {
      method: "POST",
      headers: { authorization: `Bearer ${tokens.operator}`, "content-type": "text/plain" },
      body: "after the restart",
    });
    expect(again.status).toBe(201);
    await page
      .locator('.timeline li[data-type="artifact.added"]', { hasText: "report.txt" })
      .waitFor({ timeout: 60_000 });
    await expect.poll(() => text(page, ".feed-state"), { timeout: 60_000 }).toBe("live");
    // Panels that failed while the server was down recover once the feed is back.
    await expect.poll(() => page.locator(".status.error").count()).toBe(0);
    const seqs = await page
      .locator(".timeline li")
      .evaluateAll((rows) => rows.map((r) => Number(r.getAttribute("data-seq"))));
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(seqs.length);

    // ---- the same page at phone width: nothing wider than the screen.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: path.join(SHOTS, "dashboard-390.png"), fullPage: true });
    expect(await page.evaluate("document.documentElement.scrollWidth")).toBeLessThanOrEqual(390);
    await page.emulateMedia({ colorScheme: "dark" });
    await page.screenshot({ path: path.join(SHOTS, "dashboard-390-dark.png"), fullPage: true });

    expect(pageErrors).toEqual([]);
    await closeContext(context);
  });

  it("keeps the token for this tab only (sessionStorage), the admin token only when chosen, under a strict CSP", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const violations: string[] = [];
    page.on("console", (m) => {
      if (/Content.Security.Policy/i.test(m.text())) violations.push(m.text());
    });
    const res = await page.goto(`${h.url}/`);
    expect(res?.headers()["content-security-policy"]).toContain("script-src 'self'");
    expect(res?.headers()["x-content-type-options"]).toBe("nosniff");

    await signIn(page, tokens.viewer);
    await page.locator("table.jobs").waitFor();
    const stored = await page.evaluate(() => ({
      session: sessionStorage.getItem("gigafactory.session"),
      local: localStorage.length,
    }));
    expect(stored.local).toBe(0);
    expect(JSON.parse(stored.session ?? "null")).toEqual({ token: tokens.viewer, product: PRODUCT });
    // The live feed (a WebSocket opened with a ticket) works under the page's CSP.
    await page.goto(`${h.url}/#/jobs/${jobs.building!.id}`);
    await expect.poll(() => text(page, ".feed-state")).toBe("live");
    // Another tab does not inherit the session.
    const other = await context.newPage();
    await other.goto(`${h.url}/`);
    await other.getByLabel("Token").waitFor();
    expect(await other.evaluate(() => sessionStorage.length + localStorage.length)).toBe(0);

    // The admin token is not kept unless chosen: a reload asks for it again.
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByLabel("Token").fill(ADMIN);
    await page.getByLabel("Product").fill(PRODUCT);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("button", { name: "Sign out" }).waitFor();
    expect(await page.evaluate(() => sessionStorage.length + localStorage.length)).toBe(0);
    await page.reload();
    await page.getByLabel("Token").waitFor();
    await page.getByLabel("Token").fill(ADMIN);
    await page.getByLabel("Product").fill(PRODUCT);
    await page.getByLabel(/Keep me signed in as admin/).check();
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("button", { name: "Sign out" }).waitFor();
    expect(await page.evaluate(() => JSON.parse(sessionStorage.getItem("gigafactory.session") ?? "null"))).toEqual({
      token: ADMIN,
      product: PRODUCT,
    });
    expect(await page.evaluate(() => localStorage.length)).toBe(0);
    expect(violations).toEqual([]);
    await closeContext(context);
  });
});

function lease(a: Assignment) {
  return { jobId: a.job.id, leaseEpoch: a.leaseEpoch };
}

async function text(page: Page, selector: string): Promise<string> {
  return ((await page.locator(selector).first().textContent()) ?? "").trim();
}

async function signIn(page: Page, token: string) {
  await page.getByLabel("Token").fill(token);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("button", { name: "Sign out" }).waitFor();
}
