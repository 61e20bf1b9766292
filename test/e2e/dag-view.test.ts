// The DAG view in a real browser (Debian Chromium, playwright-core, the real local server): a composite job's
// detail page lays out its children with the vendored dagre under the dashboard's CSP — one box per job, coloured
// by stage, an arrow per dep — and clicking a box opens that job.
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "./chromium.ts";
import { ADMIN, call, type Harness, P, startHarness } from "./harness.ts";

const PRODUCT = "dagview";

describe("DAG view in a real browser", () => {
  let h: Harness;
  let browser: Browser;
  let viewer = "";
  let parent: { id: string };

  beforeAll(async () => {
    h = await startHarness();
    const t = await call<{ token: string }>(h.url, "POST", `${P(PRODUCT)}/tokens`, ADMIN, {
      role: "viewer",
      name: "v",
    });
    viewer = t.body.token;
    const r = await call<{ id: string }>(h.url, "POST", `${P(PRODUCT)}/jobs`, ADMIN, {
      manifest: {
        title: "Release 2.0",
        children: [{ title: "Build" }, { title: "Test", deps: ["#0"] }, { title: "Docs", deps: ["#0", "#1"] }],
      },
    });
    expect(r.status).toBe(201);
    parent = r.body;
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await h?.close();
  });

  it("renders the composite's tree as an SVG graph and opens a child on click", async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on("pageerror", (e) => problems.push(e.message));
    page.on("console", (m) => {
      if (/Content.Security.Policy/i.test(m.text())) problems.push(m.text());
    });
    await page.goto(`${h.url}/`);
    await page.getByLabel("Token").fill(viewer);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("button", { name: "Sign out" }).waitFor();
    await page.goto(`${h.url}/#/jobs/${parent.id}`);

    const nodes = page.locator("svg.dag a.dag-node");
    await expect.poll(() => nodes.count(), { timeout: 20_000 }).toBe(4);
    // Each count polled: a queue-version refresh may be re-drawing the graph at the instant it is counted.
    const count = (sel: string) => expect.poll(() => page.locator(sel).count(), { message: sel, timeout: 20_000 });
    await count(`svg.dag a.dag-node.stage-blocked[data-job="${parent.id}"]`).toBe(1);
    await count("svg.dag a.dag-node.stage-queued").toBe(1); // Build: no deps
    await count("svg.dag path.dag-dep").toBe(3);
    await count("svg.dag path.dag-child").toBe(3);

    const build = page.locator("svg.dag a.dag-node.stage-queued");
    const buildId = await build.getAttribute("data-job");
    await build.click();
    await expect.poll(() => new URL(page.url()).hash).toBe(`#/jobs/${buildId}`);
    await expect.poll(() => page.locator("#job-title").textContent()).toBe("Build");
    expect(problems).toEqual([]);
    await context.close();
  });
});
