// The fleet map's Reset breaker, in Debian Chromium against the real local server: a factory whose default engine's
// breaker opened (one failed run, threshold 1, overflow: hold) holds a queued job; a viewer is not offered the button
// (role.js), an operator is — one press closes the breaker (POST …/breakers/*/reset), the status line says so, the card
// is drawn again without the button or the open badge, and the held job is pushed to the factory at once; when that job
// fails too and the breaker opens again, the reset's answer is gone from the card (it is no longer true).
import { describe, expect, it } from "vitest";
import { WsFactory } from "../support/ws-factory.ts";
import { dashboardSuite, signedInPage } from "./dashboard-session.ts";
import { ADMIN, adminApi } from "./harness.ts";

const PRODUCT = "breaker-reset-ui";
/** A server answer or a page's draw on a busy two-core machine; never a delay. */
const SOON = { timeout: 20_000 };

describe("dashboard: an operator resets a breaker on the fleet map", () => {
  const suite = dashboardSuite(PRODUCT, { tokens: true });
  const api = adminApi(() => suite.h.url, PRODUCT);

  it("offers Reset breaker to an operator only; a press closes it and the held job goes out", async () => {
    await api("PATCH", "/settings", { overflow: "hold", breaker: { failureThreshold: 1 } });
    const factory = await WsFactory.enroll(suite.h.url, PRODUCT, ADMIN, "builder-1", { autoComplete: false });
    try {
      const doomed = (await api<{ id: string }>("POST", "/jobs", { manifest: { title: "Doomed" } })).id;
      const a = await factory.assignmentOf(doomed);
      const lease = { jobId: doomed, leaseEpoch: a.leaseEpoch };
      await factory.acked({ type: "accept", ...lease });
      await factory.acked({ type: "fail", ...lease, result: { outcome: "failure", rc: 1, retryable: false } });
      const held = (await api<{ id: string }>("POST", "/jobs", { manifest: { title: "Held" } })).id;
      const job = await api<{ waitingReason: { code: string } | null }>("GET", `/jobs/${held}`);
      expect(job.waitingReason?.code).toBe("breaker_open");
      const { factories } = await api<{ factories: Array<{ id: string; name: string }> }>("GET", "/factories");
      const id = factories.find((f) => f.name === "builder-1")!.id;
      const button = `#reset-breaker-${id}-default`;

      const viewer = await signedInPage(suite, suite.tokens.viewer, PRODUCT);
      // Until whoami answers every data-needs control is hidden: wait for the role, or a broken gate passes too.
      await expect.poll(() => viewer.page.locator("html").getAttribute("data-role"), SOON).toBe("viewer");
      await viewer.page.goto(`${suite.h.url}/#/fleet`);
      await viewer.page.locator(`#breaker-${id}-default`).waitFor(SOON);
      expect(await viewer.page.locator(button).count()).toBe(1); // drawn, and hidden by the role gate
      expect(await viewer.page.locator(button).isVisible()).toBe(false);
      expect(viewer.errors).toEqual([]);
      await viewer.close();

      const operator = await signedInPage(suite, suite.tokens.operator, PRODUCT);
      const { page } = operator;
      await page.goto(`${suite.h.url}/#/fleet`);
      const reset = page.getByRole("button", { name: "Reset the default engine breaker of builder-1" });
      await reset.waitFor(SOON);
      await reset.click();
      const status = page.locator(`#reset-status-${id}`);
      await expect
        .poll(() => status.textContent(), SOON)
        .toBe("Reset: the default engine breaker is closed; its jobs may run here again.");
      await expect.poll(() => page.locator(`#breaker-${id}-default`).count(), SOON).toBe(0);
      expect(await page.locator(button).count()).toBe(0);
      const again = await factory.assignmentOf(held);
      expect(again.job.id).toBe(held);
      // The held job fails too: the breaker opens again, and the reset's answer is no longer true — it was carried by
      // its line's id under the new Reset button ("closed; its jobs may run here again" beside "breaker open").
      const lease2 = { jobId: held, leaseEpoch: again.leaseEpoch };
      await factory.acked({ type: "accept", ...lease2 });
      await factory.acked({ type: "fail", ...lease2, result: { outcome: "failure", rc: 1, retryable: false } });
      await expect.poll(() => page.locator(button).count(), SOON).toBe(1);
      expect(await status.count()).toBe(1);
      expect(await status.textContent()).toBe("");
      expect(operator.errors).toEqual([]);
      await operator.close();
    } finally {
      factory.close();
    }
  });
});
