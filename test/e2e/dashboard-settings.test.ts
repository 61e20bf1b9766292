// The dashboard's settings page in a real browser (Debian Chromium, playwright-core) against the real local server:
// an operator reaches it from the nav, changes preemption, the lease TTL, the retry jitter and a weight, and the
// coordinator has them; the learned `track` weight is on the page with its stored value and saves like the others; a refused value and a viewer's save show the server's reason and change nothing; no CSP
// violation on the way. The page says what the starvation weight means for the aging guarantee, and that it is off
// once an operator sets a weight that gives it up. It reads the settings again while open (every 15 s, by the page's
// clock): a read with the saved values keeps "Saved: …"; one finding them changed elsewhere takes it away, shows the new
// values in every box not edited (an edit is kept) and says what changed — "Saved: …" stood for good, the page read once;
// the box being typed in is not touched ("1e" half typed was emptied). A read sent before a Save and answered after it
// is dropped: it drew the replaced values back as changed elsewhere; so is a read overtaken by a newer one (slower than
// the 15 s between reads), which drew the older settings over the newer.
import type { APIResponse, Page, Route } from "playwright-core";
import { describe, expect, it } from "vitest";
import { closeContext, fetchRoute } from "./chromium.ts";
import { dashboardSuite, onClock } from "./dashboard-session.ts";
import { ADMIN, call, P } from "./harness.ts";
import { withoutWhoami } from "./older-coordinator.ts";

const PRODUCT = "dash-settings";

describe("the settings page", () => {
  const suite = dashboardSuite(PRODUCT, { createProduct: true, tokens: true });
  const { tokens } = suite;

  const settings = async () =>
    (await call<Record<string, unknown>>(suite.h.url, "GET", `${P(PRODUCT)}/settings`, ADMIN)).body as {
      preemption: boolean;
      leaseTtlSeconds: number;
      retry: { jitter: number; baseSeconds: number; maxSeconds: number };
      weights: { load: number; track: number };
    };

  /**
   * Sign in with `token`, follow the nav to the settings page, and wait until it shows the stored TTL; `older`: against
   * a coordinator without whoami, so the page cannot tell the role and offers Save to anyone (older-coordinator.ts).
   */
  async function open(token: string, older = false): Promise<{ page: Page; violations: string[] }> {
    const ttl = String((await settings()).leaseTtlSeconds);
    const page = await (await suite.browser.newContext()).newPage();
    if (older) await withoutWhoami(page);
    const violations: string[] = [];
    page.on("console", (m) => {
      if (/Content.Security.Policy/i.test(m.text())) violations.push(m.text());
    });
    page.on("pageerror", (e) => violations.push(e.message));
    await page.goto(`${suite.h.url}/`);
    await page.getByLabel("Token").fill(token);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("button", { name: "Sign out" }).waitFor();
    await page.getByRole("link", { name: "Settings", exact: true }).click();
    await expect.poll(() => page.locator("#setting-leaseTtlSeconds").inputValue()).toBe(ttl);
    return { page, violations };
  }

  const status = (page: Page) => page.locator("#settings-status").textContent();

  it("lets an operator change settings from the page, and shows a refused value's reason", async () => {
    const { page, violations } = await open(tokens.operator);
    await page.getByLabel(/Preemption/).check();
    await page.locator("#setting-leaseTtlSeconds").fill("120");
    await page.locator("#setting-retry-jitter").fill("0.2");
    await page.locator("#setting-weights-load").fill("2");
    await page.getByRole("button", { name: "Save" }).click();
    await expect.poll(() => status(page)).toContain("Saved");
    expect(await settings()).toMatchObject({
      preemption: true,
      leaseTtlSeconds: 120,
      retry: { jitter: 0.2 },
      weights: { load: 2 },
    });

    await page.locator("#setting-retry-maxSeconds").fill("1"); // below the 5 s base
    await page.getByRole("button", { name: "Save" }).click();
    await expect.poll(() => status(page)).toMatch(/Not saved: .*validation_failed/);
    expect((await settings()).retry.maxSeconds).toBe(600);
    expect(violations).toEqual([]);
    await closeContext(page.context()); // its poller would read on for the rest of the file
  });

  it("shows the track weight with its stored value, and an operator's new value reaches the coordinator", async () => {
    const { page, violations } = await open(tokens.operator);
    const track = page.locator("#setting-weights-track");
    expect(await track.inputValue()).toBe(String((await settings()).weights.track));
    expect(await page.getByLabel("Weight: track").count()).toBe(1);
    await track.fill("3.5");
    await page.getByRole("button", { name: "Save" }).click();
    await expect.poll(() => status(page)).toBe("Saved: weights.");
    expect((await settings()).weights.track).toBe(3.5);
    expect(violations).toEqual([]);
    await closeContext(page.context()); // its poller would read on for the rest of the file
  });

  // A viewer whose role the page knows is offered no Save at all (test/e2e/dashboard-roles); one whose role it cannot
  // tell (a coordinator without whoami) still meets the server's refusal.
  it("shows a viewer the settings and the server's refusal when it tries to save; nothing changes", async () => {
    const before = await settings();
    const { page, violations } = await open(tokens.viewer, true);
    await page.locator("#setting-weights-affinity").fill("7");
    await page.getByRole("button", { name: "Save" }).click();
    await expect.poll(() => status(page)).toMatch(/Not saved: .*forbidden/);
    expect(await settings()).toEqual(before);
    expect(violations).toEqual([]);
    await closeContext(page.context()); // its poller would read on for the rest of the file
  });

  it("says when the starvation weight gives up the aging guarantee", async () => {
    const { page, violations } = await open(tokens.operator);
    const aging = () => page.locator("#settings-aging").textContent();
    await expect.poll(aging).toMatch(/^Aging: a low job .* within 24 min/);
    await page.locator("#setting-weights-starvation").fill("1.5");
    await page.getByRole("button", { name: "Save" }).click();
    await expect.poll(() => status(page)).toBe("Saved: weights.");
    await expect.poll(aging).toMatch(/^Aging: off: with weights\.starvation 1\.5 /);
    expect(violations).toEqual([]);
    await closeContext(page.context()); // its poller would read on for the rest of the file
  });

  it("takes 'Saved' away when a later read finds it changed elsewhere, shows the new values and keeps an edit", async () => {
    const page = await (await suite.browser.newContext()).newPage();
    await page.clock.install(); // the page's next reads reached by running its clock on (onClock)
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    let reads = 0;
    // Reads of the settings whose answer has come in whole (the page's handling of it follows in the same task).
    page.on("requestfinished", (r) => {
      if (r.method() === "GET" && new URL(r.url()).pathname.endsWith("/settings")) reads++;
    });
    await page.goto(`${suite.h.url}/`);
    await page.getByLabel("Token").fill(tokens.operator);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("button", { name: "Sign out" }).waitFor();
    await page.getByRole("link", { name: "Settings", exact: true }).click();
    const box = (id: string) => page.locator(`#setting-${id}`);
    const ttl = (await settings()).leaseTtlSeconds === 300 ? 301 : 300;
    await expect.poll(() => box("leaseTtlSeconds").inputValue()).toBe(String((await settings()).leaseTtlSeconds));
    await box("leaseTtlSeconds").fill(String(ttl));
    await page.getByRole("button", { name: "Save" }).click();
    await expect.poll(() => status(page)).toBe("Saved: leaseTtlSeconds.");
    // A read with the values saved: the answer holds, and stays.
    const before = reads;
    await expect.poll(onClock(page, 5_000, async () => reads)).toBeGreaterThan(before);
    expect(await status(page)).toBe("Saved: leaseTtlSeconds.");
    // The reader edits the jitter; another operator sets the TTL, the aging horizon and the jitter.
    await box("retry-jitter").fill("0.35");
    await call(suite.h.url, "PATCH", `${P(PRODUCT)}/settings`, ADMIN, {
      leaseTtlSeconds: ttl + 100,
      agingHorizonMinutes: 777,
      retry: { jitter: 0.1 },
    });
    await expect.poll(onClock(page, 5_000, () => status(page))).toBe("");
    expect(await page.locator("#settings-elsewhere").textContent()).toBe(
      "Changed elsewhere since this page read them: Lease TTL (s), Aging horizon (min), Retry jitter (0–1). " +
        "Your edit of Retry jitter (0–1) is kept: Save sends it over theirs.",
    );
    expect(await box("leaseTtlSeconds").inputValue()).toBe(String(ttl + 100));
    expect(await box("agingHorizonMinutes").inputValue()).toBe("777");
    expect(await box("retry-jitter").inputValue()).toBe("0.35");
    // Save sends the edit alone: the others' values stay.
    await page.getByRole("button", { name: "Save" }).click();
    await expect.poll(() => status(page)).toBe("Saved: retry.");
    expect(await settings()).toMatchObject({ leaseTtlSeconds: ttl + 100, retry: { jitter: 0.35 } });
    expect(await page.locator("#settings-elsewhere").textContent()).toBe("");
    expect(errors).toEqual([]);
    await closeContext(page.context());
  });

  it("leaves the box being typed in as it is when a read finds settings changed elsewhere", async () => {
    const context = await suite.browser.newContext();
    const page = await context.newPage();
    await page.clock.install(); // the page's next read reached by running its clock on (onClock)
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(`${suite.h.url}/`);
    await page.getByLabel("Token").fill(tokens.operator);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("button", { name: "Sign out" }).waitFor();
    await page.getByRole("link", { name: "Settings", exact: true }).click();
    const box = (id: string) => page.locator(`#setting-${id}`);
    await expect.poll(() => box("leaseTtlSeconds").inputValue()).toBe(String((await settings()).leaseTtlSeconds));
    // Half a number typed in the retry's base: "1e" (a number box's value reads "" until it is one).
    await box("retry-baseSeconds").focus();
    await page.keyboard.press("Control+A");
    await page.keyboard.type("1e");
    const ttl = (await settings()).leaseTtlSeconds === 300 ? 301 : 300;
    await call(suite.h.url, "PATCH", `${P(PRODUCT)}/settings`, ADMIN, { leaseTtlSeconds: ttl });
    const elsewhere = page.locator("#settings-elsewhere");
    await expect.poll(onClock(page, 5_000, () => elsewhere.textContent())).toMatch(/^Changed elsewhere .*: Lease TTL/);
    expect(await box("leaseTtlSeconds").inputValue()).toBe(String(ttl));
    // The typing goes on where it was: "1e1", not "1" in a box the read emptied.
    await page.keyboard.type("1");
    expect(await box("retry-baseSeconds").inputValue()).toBe("1e1");
    expect(errors).toEqual([]);
    await closeContext(context);
  });

  it("drops a read sent before a Save that answers after it", async () => {
    const page = await (await suite.browser.newContext()).newPage();
    await page.clock.install(); // the page's next read reached by running its clock on (onClock)
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    // While `holding`, a read of the settings is answered by the coordinator at once and handed to the page when let go.
    let holding = false;
    const held: Array<[Route, APIResponse]> = [];
    await page.route(
      (u) => u.pathname.endsWith("/settings"),
      async (route) => {
        if (!holding || route.request().method() !== "GET") return route.continue();
        held.push([route, await fetchRoute(route)]);
      },
    );
    await page.goto(`${suite.h.url}/`);
    await page.getByLabel("Token").fill(tokens.operator);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("button", { name: "Sign out" }).waitFor();
    await page.getByRole("link", { name: "Settings", exact: true }).click();
    const ttlBox = page.locator("#setting-leaseTtlSeconds");
    const was = (await settings()).leaseTtlSeconds;
    await expect.poll(() => ttlBox.inputValue()).toBe(String(was));
    holding = true;
    await expect.poll(onClock(page, 5_000, async () => held.length)).toBeGreaterThan(0);
    holding = false;
    await ttlBox.fill(String(was + 7));
    await page.getByRole("button", { name: "Save" }).click();
    await expect.poll(() => status(page)).toBe("Saved: leaseTtlSeconds.");
    for (const [route, response] of held.splice(0)) await route.fulfill({ response });
    // The next read (the coordinator's, with the value saved) is in: the one before it was handled first.
    let reads = 0;
    page.on("requestfinished", (r) => {
      if (r.method() === "GET" && new URL(r.url()).pathname.endsWith("/settings")) reads++;
    });
    await expect.poll(onClock(page, 5_000, async () => reads)).toBeGreaterThan(0);
    expect(await status(page)).toBe("Saved: leaseTtlSeconds.");
    expect(await ttlBox.inputValue()).toBe(String(was + 7));
    expect(await page.locator("#settings-elsewhere").textContent()).toBe("");
    expect(errors).toEqual([]);
    await closeContext(page.context());
  });

  // A read answering after a newer one (slower than REREAD_MS: the next was sent while it was out) drew the older
  // settings over the newer and said the newer "changed elsewhere" — back to where they had been.
  it("draws nothing of a read overtaken by a newer one", async () => {
    const page = await (await suite.browser.newContext()).newPage();
    await page.clock.install(); // the page's next reads reached by running its clock on (onClock)
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    // While `holding`, one read of the settings is answered by the coordinator at once and handed to the page when let go.
    let holding = false;
    const held: Array<[Route, APIResponse]> = [];
    await page.route(
      (u) => u.pathname.endsWith("/settings"),
      async (route) => {
        if (!holding || route.request().method() !== "GET") return route.continue();
        holding = false;
        held.push([route, await fetchRoute(route)]);
      },
    );
    await page.goto(`${suite.h.url}/`);
    await page.getByLabel("Token").fill(tokens.operator);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("button", { name: "Sign out" }).waitFor();
    await page.getByRole("link", { name: "Settings", exact: true }).click();
    const ttlBox = page.locator("#setting-leaseTtlSeconds");
    const was = await settings();
    await expect.poll(() => ttlBox.inputValue()).toBe(String(was.leaseTtlSeconds));
    holding = true;
    await expect.poll(onClock(page, 5_000, async () => held.length)).toBe(1);
    const ttl = was.leaseTtlSeconds + 3;
    await call(suite.h.url, "PATCH", `${P(PRODUCT)}/settings`, ADMIN, { leaseTtlSeconds: ttl });
    const elsewhere = page.locator("#settings-elsewhere");
    await expect.poll(onClock(page, 5_000, () => ttlBox.inputValue())).toBe(String(ttl));
    // The older read answers now; then the jitter changes elsewhere, and the next read says what changed since the
    // newest read drawn: the jitter alone (drawn, the older read had put the TTL back, and it read as changed too).
    for (const [route, response] of held.splice(0)) await route.fulfill({ response });
    const jitter = was.retry.jitter === 0.25 ? 0.3 : 0.25;
    await call(suite.h.url, "PATCH", `${P(PRODUCT)}/settings`, ADMIN, { retry: { jitter } });
    await expect.poll(onClock(page, 5_000, () => elsewhere.textContent())).toMatch(/Retry jitter/);
    expect(await elsewhere.textContent()).toBe("Changed elsewhere since this page read them: Retry jitter (0–1).");
    expect(await ttlBox.inputValue()).toBe(String(ttl));
    expect(errors).toEqual([]);
    await closeContext(page.context());
  });
});
