// A job's page tells a screen reader when the job's stage moves, once, in a live region (WCAG 4.1.3), in real
// Chromium: a job cancelled elsewhere (the API) while its page is open is said "Now cancelled" in a polite status;
// opening the page says nothing, and an action pressed on the page is said by its own status line, not twice. The
// stage badge changed silently: only an eye on it saw the job move. And a text box's byte counter is no live region
// (it was read out at every keystroke over what was typed): only crossing the limit, either way, is said.
import { describe, expect, it } from "vitest";
import { dashboardSuite, signedInPage } from "./dashboard-session.ts";
import { ADMIN, adminApi } from "./harness.ts";

const PRODUCT = "a11y-live";
/** A server answer or the page's next read on a busy two-core machine; never a delay. */
const SOON = { timeout: 30_000 };

describe("dashboard: a job's stage moving is announced", () => {
  const suite = dashboardSuite(PRODUCT, { createProduct: true });
  const api = adminApi(() => suite.h.url, PRODUCT);

  it("says 'Now cancelled' once when the job is cancelled elsewhere, and nothing on opening", async () => {
    // GPU-only: no factory here runs it, so it stays queued until cancelled.
    const job = await api<{ id: string }>("POST", "/jobs", { manifest: { title: "Announced", requires: ["gpu"] } });
    const { page, errors, close } = await signedInPage(suite, ADMIN, PRODUCT);
    await page.goto(`${suite.h.url}/#/jobs/${job.id}`);
    await expect.poll(() => page.locator("#job-title").textContent(), SOON).toBe("Announced");
    const said = () => page.locator("#job-stage-news").textContent();
    // A status (a polite live region) in the accessibility tree, though drawn for no eye.
    expect(await page.getByRole("status").and(page.locator("#job-stage-news")).count()).toBe(1);
    expect(await said()).toBe("");
    await api("POST", `/jobs/${job.id}/actions/cancel`, { note: "from elsewhere" });
    await expect.poll(said, SOON).toBe("Now cancelled");
    expect(errors).toEqual([]);
    await close();
  });

  it("says a lesson box's count only when it crosses the limit, not at every keystroke", async () => {
    const { page, errors, close } = await signedInPage(suite, ADMIN, PRODUCT);
    await page.goto(`${suite.h.url}/#/lessons`);
    const box = page.getByRole("textbox", { name: /^Lesson \(/ });
    const counter = page.locator("#lesson-text-bytes");
    const announced = () => page.evaluate('document.getElementById("announcer")?.textContent ?? ""');
    await box.focus();
    await page.keyboard.type("ab");
    expect(await counter.textContent()).toBe("2 / 1024 bytes");
    expect(await counter.getAttribute("aria-live")).toBeNull();
    expect(await announced()).toBe("");
    await box.fill("漢".repeat(400)); // 1,200 bytes in 400 characters (the box's maxlength counts characters)
    await expect.poll(announced, SOON).toMatch(/at most 1024 bytes of UTF-8, and this is 1200/);
    await box.fill("ok");
    await expect.poll(announced, SOON).toBe("2 / 1024 bytes: within the limit");
    expect(await page.getByRole("status").and(page.locator("#announcer")).count()).toBe(1);
    expect(errors).toEqual([]);
    await close();
  });
});
