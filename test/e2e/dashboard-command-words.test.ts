// A CLI command in the coordinator's words, said on the dashboard as its own button or page where it has one
// (dashboard/command-words.js), in Debian Chromium against the real local server: a job whose dependency was
// cancelled said "`gigafactory cancel job_…` drops it" right above its page's cancel button, and the board's note the
// same with no way there; a budget paused by an operator said "`gigafactory budget resume` lifts the pause" with the
// Budget page's Resume a click away. Now the job page says "the cancel button below", the board's note links to the
// job's page, and the budget's words link to the Budget page — where the button is. A viewer, whose page draws no
// action bar, is told whose the control is ("it will never ship: an operator's cancel, or …"): "the cancel button below" named a
// button that is not there for them. A job no factory can run says how to end its wait (the reason's `fix`,
// src/core/waiting-fix.ts: enroll a host with the capability), as `gigafactory job ID` prints it.
import { describe, expect, it } from "vitest";
import { dashboardSuite, signedInPage } from "./dashboard-session.ts";
import { adminApi } from "./harness.ts";

const PRODUCT = "command-words";
/** A server answer on a busy two-core machine; never a delay. */
const SOON = { timeout: 20_000 };

describe("dashboard: a command the dashboard can do, said as its own control", () => {
  const suite = dashboardSuite(PRODUCT, { tokens: true });
  const api = adminApi(() => suite.h.url, PRODUCT);
  type Reason = { waitingReason: { code: string; message: string } | null };

  it("says a job's cancel as the button below on its page, and links the board's note to that page", async () => {
    const dep = (await api<{ id: string }>("POST", "/jobs", { manifest: { title: "Train", requires: ["tpu"] } })).id;
    const id = (await api<{ id: string }>("POST", "/jobs", { manifest: { title: "Deploy", deps: [dep] } })).id;
    await api("POST", `/jobs/${dep}/actions/cancel`, {});
    // The coordinator's words name the CLI's command (the CLI shows the same reason).
    const said = (await api<Reason>("GET", `/jobs/${id}`)).waitingReason?.message ?? "";
    expect(said).toContain(`\`gigafactory cancel ${id}\``);

    const { page, errors, close } = await signedInPage(suite, suite.tokens.operator, PRODUCT);
    const note = page.locator(`tr[data-job="${id}"] .waiting`);
    await expect.poll(() => note.textContent(), SOON).toContain("cancel on its page");
    expect(await note.textContent()).not.toContain("gigafactory");
    await note.getByRole("link", { name: "cancel on its page" }).click();
    const message = page.locator(".waiting-panel .waiting-message");
    await expect.poll(() => message.textContent(), SOON).toContain("the cancel button below");
    expect(await message.textContent()).not.toContain("gigafactory");
    // The button it names is there, offered.
    expect(await page.locator('.actions button[data-action="cancel"]').isEnabled()).toBe(true);
    expect(errors).toEqual([]);
    await close();
  });

  it("links a paused budget's Resume to the Budget page", async () => {
    const id = (await api<{ id: string }>("POST", "/jobs", { manifest: { title: "Held by the budget" } })).id;
    await api("PUT", "/budget", { period: "day", ceilingUsd: 100, onExhausted: "pause" });
    await api("POST", "/budget/pause", {});
    // No factory could run it either: the fleet's reason, the pause named after it (core/budget-pause alsoPaused).
    await expect
      .poll(async () => (await api<Reason>("GET", `/jobs/${id}`)).waitingReason?.message, SOON)
      .toContain("`gigafactory budget resume` lifts the pause");
    const { page, errors, close } = await signedInPage(suite, suite.tokens.operator, PRODUCT);
    await page.goto(`${suite.h.url}/#/jobs/${id}`);
    const message = page.locator(".waiting-panel .waiting-message");
    await expect.poll(() => message.textContent(), SOON).toContain("Resume on the Budget page lifts the pause");
    expect(await message.textContent()).not.toContain("gigafactory");
    await message.getByRole("link", { name: "Resume on the Budget page" }).click();
    await expect.poll(() => page.getByRole("button", { name: "Resume" }).isEnabled(), SOON).toBe(true);
    await api("POST", "/budget/resume", {});
    expect(errors).toEqual([]);
    await close();
  });

  it("says how to end a no_capable_factory wait: the answer's fix, the words the CLI prints", async () => {
    const id = (await api<{ id: string }>("POST", "/jobs", { manifest: { title: "Needs a TPU", requires: ["tpu"] } }))
      .id;
    type Fixed = { waitingReason: { code: string; fix?: string } | null };
    const reason = (await api<Fixed>("GET", `/jobs/${id}`)).waitingReason;
    expect(reason?.code).toBe("no_capable_factory");
    expect(reason?.fix).toContain("`gigafactory enroll NAME --cap tpu`");
    const { page, errors, close } = await signedInPage(suite, suite.tokens.operator, PRODUCT);
    await page.goto(`${suite.h.url}/#/jobs/${id}`);
    const fix = page.locator(".waiting-panel .waiting-fix");
    await expect.poll(() => fix.textContent(), SOON).toContain("gigafactory enroll NAME --cap tpu");
    expect(await fix.textContent()).toMatch(/^Fix: enroll a host that has tpu/);
    expect(errors).toEqual([]);
    await close();
  });

  it("tells a viewer whose the cancel is, not of a button below that the page does not draw for them", async () => {
    const dep = (await api<{ id: string }>("POST", "/jobs", { manifest: { title: "Lint", requires: ["tpu"] } })).id;
    const id = (await api<{ id: string }>("POST", "/jobs", { manifest: { title: "Release", deps: [dep] } })).id;
    await api("POST", `/jobs/${dep}/actions/cancel`, {});
    const { page, errors, close } = await signedInPage(suite, suite.tokens.viewer, PRODUCT);
    await expect.poll(() => page.locator("html").getAttribute("data-role"), SOON).toBe("viewer");
    await page.goto(`${suite.h.url}/#/jobs/${id}`);
    const message = page.locator(".waiting-panel .waiting-message");
    // innerText: the words as drawn for the page's role (the operator's, marked data-needs, are not shown).
    await expect.poll(() => message.innerText(), SOON).toContain("it will never ship: an operator's cancel, or submit");
    expect(await message.innerText()).not.toMatch(/button below|gigafactory/);
    // Indeed no such button for them.
    expect(await page.locator('.actions button[data-action="cancel"]').isVisible()).toBe(false);
    expect(errors).toEqual([]);
    await close();
  });
});
