// The enrollment codes page (#/enrollment) in a real browser (Debian Chromium, playwright-core) against the real local
// server: an operator reaches it from the nav, or from the empty fleet page's link, and sees the live codes as the API
// lists them, never a code; creates one that is shown once, focused and copyable (wrapped on a 375 px phone), and
// listed by id; a refused creation shows the server's detail and code; revoking asks first (Keep changes nothing) and
// its buttons are disabled while the DELETE is out; after a revoke through the page, the real API refuses that code's
// enrollment (401) while a code left alone still enrolls, and the emptied list says so. A viewer is told the page is
// for operators instead of a table. No CSP violation on the way.
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { closeContext } from "./chromium.ts";
import { dashboardSuite } from "./dashboard-session.ts";
import { ADMIN, call, P } from "./harness.ts";
import { withoutWhoami } from "./older-coordinator.ts";

/** One unbroken word: the code `gfe_<product>_<secret>` is then ~67 characters a phone must wrap. */
const PRODUCT = "enrollmentcodespage";
/** A server answer on a busy two-core machine. */
const SOON = { timeout: 15_000 };

type Listed = { codes: Array<{ id: string; name?: string }> };

describe("the enrollment codes page", () => {
  const suite = dashboardSuite(PRODUCT, { createProduct: true, tokens: true });
  const { tokens } = suite;

  const listed = async () =>
    (await call<Listed>(suite.h.url, "GET", `${P(PRODUCT)}/factories/enrollment-codes`, ADMIN)).body.codes;
  const enroll = (code: string, name: string) =>
    call<{ code?: string }>(suite.h.url, "POST", `${P(PRODUCT)}/factories/enroll`, code, { name });

  /**
   * Sign in with `token` and go to the enrollment codes page: by the nav, or (`fromFleet`) by the link in the empty
   * fleet page, where an operator with no factory yet starts.
   */
  async function open(token: string, fromFleet = false, older = false): Promise<{ page: Page; violations: string[] }> {
    const context = await suite.browser.newContext();
    if (older) await withoutWhoami(context); // the role unknown: the page asks, and the server refuses
    await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: suite.h.url });
    const page = await context.newPage();
    const violations: string[] = [];
    page.on("console", (m) => {
      if (/Content.Security.Policy/i.test(m.text())) violations.push(m.text());
    });
    page.on("pageerror", (e) => violations.push(e.message));
    await page.goto(`${suite.h.url}/`);
    await page.getByLabel("Token").fill(token);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("button", { name: "Sign out" }).waitFor();
    if (fromFleet) {
      await page.getByRole("link", { name: "Fleet", exact: true }).click();
      await page.getByRole("link", { name: "Enrollment page" }).click(SOON);
    } else await page.getByRole("link", { name: "Enrollment", exact: true }).click();
    await page.getByRole("heading", { name: "Enrollment codes" }).waitFor();
    return { page, violations };
  }

  const row = (page: Page, id: string) => page.locator(`[data-testid="code-row"][data-code-id="${id}"]`);
  /** An attribute (or, with none named, the text) of the element that has keyboard focus. */
  const focused = (page: Page, attr?: string) =>
    attr ? page.locator(":focus").getAttribute(attr) : page.locator(":focus").textContent();

  it("lists, creates (shown once), keeps and revokes codes; the revoked code no longer enrolls a factory", async () => {
    const minted = await call<{ id: string; code: string }>(
      suite.h.url,
      "POST",
      `${P(PRODUCT)}/factories/enrollment-codes`,
      ADMIN,
      { name: "box-a", seats: 2 },
    );
    expect(minted.status).toBe(201);
    const { page, violations } = await open(tokens.operator, true);

    // Listed as the API gives it: id, minter, binding; never the code.
    await row(page, minted.body.id).waitFor(SOON);
    const cells = await row(page, minted.body.id).textContent();
    expect(cells).toContain("admin");
    expect(cells).toContain("host box-a · at most 2 seats");
    expect(await page.content()).not.toContain(minted.body.code);

    // A refused creation: the problem+json detail and code, nothing minted.
    await page.locator("#code-new-seats").fill("99");
    await page.getByRole("button", { name: "New code" }).click();
    await expect
      .poll(() => page.locator("#code-new-status").textContent(), SOON)
      .toMatch(/Not created: .*seats.*\(validation_failed\)/);
    expect(await listed()).toHaveLength(1);

    // Created: shown once, focused, copyable; listed by id, the code never in the list.
    await page.locator("#code-new-seats").fill("");
    await page.locator("#code-new-name").fill("box-new");
    await page.getByRole("button", { name: "New code" }).click();
    const box = page.locator("#code-once-value");
    await box.waitFor(SOON);
    const code = await box.inputValue();
    expect(code).toMatch(/^gfe_enrollmentcodespage_[A-Za-z0-9_-]{43}$/);
    expect(await page.locator("#code-once-title").textContent()).toContain("shown once");
    expect(await page.locator("#code-once-command").textContent()).toContain(`--code ${code} --name box-new`);
    expect(await focused(page, "id")).toBe("code-once-value");
    await page.getByRole("button", { name: "Copy" }).click();
    await expect.poll(() => page.locator("#code-once-status").textContent()).toBe("Copied.");
    expect(await page.evaluate<string>("navigator.clipboard.readText()")).toBe(code);
    const created = (await listed()).find((c) => c.name === "box-new");
    expect(created).toBeDefined();
    await row(page, created!.id).waitFor(SOON);
    expect(await page.locator("#codes-table").textContent()).not.toContain(code);
    // On a 375 px phone the shown code and its 50-character command wrap: the page never scrolls sideways.
    await page.setViewportSize({ width: 375, height: 800 });
    const wide = "document.documentElement.scrollWidth > document.documentElement.clientWidth";
    expect(await page.evaluate<boolean>(wide)).toBe(false);
    await page.setViewportSize({ width: 1280, height: 800 });

    // Revoke asks first; Keep changes nothing and gives focus back to Revoke.
    await row(page, minted.body.id)
      .getByRole("button", { name: `Revoke ${minted.body.id}` })
      .click();
    expect(await focused(page)).toBe("Keep");
    await row(page, minted.body.id).getByRole("button", { name: "Keep" }).click();
    expect(await focused(page, "aria-label")).toBe(`Revoke ${minted.body.id}`);
    expect((await listed()).map((c) => c.id)).toContain(minted.body.id);

    // Revoke the created code: its buttons are disabled while the DELETE is held, then its row and shown code go.
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    await page.route("**/factories/enrollment-codes/*", async (route) => {
      await held;
      await route.continue();
    });
    await row(page, created!.id)
      .getByRole("button", { name: `Revoke ${created!.id}` })
      .click();
    const yes = row(page, created!.id).getByRole("button", { name: "Yes, revoke" });
    await yes.click();
    await expect.poll(() => yes.isDisabled()).toBe(true);
    expect(await row(page, created!.id).getByRole("button", { name: "Keep" }).isDisabled()).toBe(true);
    release();
    await row(page, created!.id).waitFor({ state: "detached", ...SOON });
    expect(await page.locator("#codes-status").textContent()).toBe(
      `Revoked ${created!.id}: it can no longer enroll a factory.`,
    );
    expect(await page.locator("#code-once").isHidden()).toBe(true);
    expect(await focused(page, "aria-label")).toBe(`Revoke ${minted.body.id}`);

    // The real API: the revoked code is refused; the code left alone still enrolls its host.
    const refused = await enroll(code, "box-new");
    expect(refused.status).toBe(401);
    expect(refused.body.code).toBe("unauthorized");
    expect((await enroll(minted.body.code, "box-a")).status).toBe(201);

    // Nothing left to use: the page says so after a refresh.
    await page.getByRole("button", { name: "Refresh" }).click();
    await expect.poll(() => page.locator("#codes-empty").textContent(), SOON).toContain("No codes waiting");
    expect(violations).toEqual([]);
    await closeContext(page.context()); // its poller would read on for the rest of the file
  });

  // Whose role the page knows is told without asking (test/e2e/dashboard-roles); here the role is unknown.
  it("tells a viewer the page is for operators, with the server's reason, instead of a table", async () => {
    const { page, violations } = await open(tokens.viewer, false, true);
    const refused = page.locator("#codes-refused");
    await refused.waitFor(SOON);
    // Said once: the line ends with the server's reason, not the same advice again.
    expect(await refused.textContent()).toMatch(/for operators.*\(forbidden\)$/);
    expect(await page.locator("#codes-table").isHidden()).toBe(true);
    expect(await page.locator("#code-new-form").isHidden()).toBe(true);
    expect(violations).toEqual([]);
    await closeContext(page.context());
  });
});
