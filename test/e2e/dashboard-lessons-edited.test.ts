// The lessons page marks an automatic lesson an operator took over, in Debian Chromium against the real local server
// (its D1 migrated with every migration, `edited_by` included): two jobs dead-letter, each recording an automatic
// lesson; operator erin rewords one through the API; once D1 lists the rewording, the page shows that lesson's source
// as "auto (retry_exhausted) · edited by operator:erin" and the other one's as plain "auto (retry_exhausted)".
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeContext, launchChromium } from "./chromium.ts";
import { ADMIN, adminApi, call, type Harness, P, startHarness } from "./harness.ts";

const PRODUCT = "lesson-edited";
/** A server answer on a busy two-core machine; never a delay. */
const SOON = { timeout: 15_000 };

interface Lesson {
  id: string;
  text: string;
  subject?: string;
  editedBy?: string;
}

describe("dashboard: an automatic lesson an operator edited", () => {
  let h: Harness;
  let browser: Browser;
  const api = adminApi(() => h.url, PRODUCT);
  beforeAll(async () => {
    h = await startHarness();
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await h?.close();
  });

  /** Two dead-lettered jobs' automatic lessons, the first reworded by operator erin, once D1 lists the rewording. */
  async function oneTakenOver(): Promise<{ taken: Lesson; untouched: Lesson }> {
    const factory = await api<{ token: string }>("POST", "/factories/enroll", {
      name: "f",
      capabilities: [],
      seats: 1,
    });
    const jobs: string[] = [];
    for (const title of ["Hopeless one", "Hopeless two"]) {
      const job = await api<{ id: string }>("POST", "/jobs", { manifest: { title, maxAttempts: 1 }, bodyMd: "" });
      jobs.push(job.id);
      const claimed = await call<{ lease: { leaseEpoch: number } }>(
        h.url,
        "POST",
        `${P(PRODUCT)}/claim`,
        factory.token,
        {
          leaseTtlSeconds: 60,
        },
      );
      expect(claimed.status).toBe(200);
      const failed = await call<{ stage: string }>(h.url, "PATCH", `${P(PRODUCT)}/jobs/${job.id}`, factory.token, {
        leaseEpoch: claimed.body.lease.leaseEpoch,
        stage: "failed",
        result: { outcome: "failure", rc: 1 },
      });
      expect(failed.body.stage).toBe("dead_letter");
    }
    const autoLessons = async () => (await api<{ items: Lesson[] }>("GET", "/lessons?source=auto")).items;
    // GET …/lessons reads D1, which the outbox fills a moment after the coordinator: wait for the state, not a time.
    await expect.poll(async () => (await autoLessons()).length, { timeout: 60_000 }).toBe(2);
    const bySubject = async (jobId: string) => (await autoLessons()).find((l) => l.subject === `job:${jobId}`);
    const taken = await bySubject(jobs[0] ?? "");
    const untouched = await bySubject(jobs[1] ?? "");
    if (!taken || !untouched) throw new Error("an automatic lesson per dead letter was not recorded");
    const minted = await api<{ token: string }>("POST", "/tokens", { role: "operator", name: "erin" });
    const edit = await call(h.url, "PATCH", `${P(PRODUCT)}/lessons/${taken.id}`, minted.token, {
      text: "Pin the toolchain before a retry",
    });
    expect(edit.status).toBe(200);
    await expect
      .poll(async () => (await bySubject(jobs[0] ?? ""))?.editedBy, { timeout: 60_000 })
      .toBe("operator:erin");
    return { taken, untouched };
  }

  it("says who edited it in the source column; an automatic lesson nobody edited says only auto", async () => {
    const { taken, untouched } = await oneTakenOver();
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(`${h.url}/`);
    await page.getByLabel("Token").fill(ADMIN);
    await page.getByLabel("Product").fill(PRODUCT);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("button", { name: "Sign out" }).waitFor();
    await page.goto(`${h.url}/#/lessons`);
    const source = (id: string) => page.locator(`#lessons-list tr[data-lesson-id="${id}"] td.lesson-source`);
    await expect
      .poll(() => source(taken.id).textContent(), SOON)
      .toBe("auto (retry_exhausted) · edited by operator:erin");
    expect(await source(untouched.id).textContent()).toBe("auto (retry_exhausted)");
    expect(await page.locator(`tr[data-lesson-id="${taken.id}"] td.lesson-text`).textContent()).toBe(
      "Pin the toolchain before a retry",
    );
    expect(errors).toEqual([]);
    await closeContext(context);
  });
});
