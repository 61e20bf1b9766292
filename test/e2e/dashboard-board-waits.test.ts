// The jobs board's waiting notes stay true with no queue version change, in Debian Chromium against the real local
// server: a row's reason that ends by time alone (a retry's backoff) is read again once, by the page's clock, when its
// end has passed — "retrying after its backoff, at 15:02" stood for good after 15:02 — and a row's "No capable
// factory" is read again when the fleet moves (a factory with what the job needs enrolled), which moves no version
// either: it stood until something else in the queue moved. So is the serial panel's "none due (next at 15:02)". A
// page whose clock runs ahead of the coordinator's reads an end still named though passed by its clock, as the job
// page does: it never read it, and the reason stood.
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { fetchRoute } from "./chromium.ts";
import { dashboardSuite, onClock, signedInPage } from "./dashboard-session.ts";
import { adminApi } from "./harness.ts";

const PRODUCT = "board-waits";

/**
 * Routes the board's list reads: while `doctored()` is true, job `id`'s row names a retry's backoff ending at
 * `until()` (ms epoch); else the coordinator's own answer goes through as it came.
 */
function backoffNamed(page: Page, id: string, until: () => number, doctored: () => boolean): Promise<void> {
  return page.route(
    (u) => u.pathname.endsWith("/jobs") && u.searchParams.has("limit"),
    async (route) => {
      const res = await fetchRoute(route);
      if (!doctored()) return route.fulfill({ response: res });
      const body = await res.json();
      const end = until();
      const jobs = body.jobs.map((j: { id: string; queuedAt: number }) =>
        j.id === id
          ? {
              ...j,
              notBefore: end,
              waitingReason: { code: "retry_backoff", message: "retrying", since: j.queuedAt, detail: { until: end } },
            }
          : j,
      );
      return route.fulfill({ json: { ...body, jobs } });
    },
  );
}
/** A server answer on a busy two-core machine; never a delay. */
const SOON = { timeout: 20_000 };

describe("jobs board: a waiting reason read again when it ends or the fleet moves", () => {
  const suite = dashboardSuite(PRODUCT, { tokens: true });
  const api = adminApi(() => suite.h.url, PRODUCT);
  type Reason = { waitingReason: { code: string } };

  it("reads the board once a row's retry backoff has ended, not as a poll", async () => {
    const id = (await api<{ id: string }>("POST", "/jobs", { manifest: { title: "Backing off", requires: ["tpu"] } }))
      .id;
    const now = (await api<Reason>("GET", `/jobs/${id}`)).waitingReason.code;
    // The list's reads say a retry's backoff a minute ahead until the board shows it; every later one is the
    // coordinator's own answer, counted.
    let doctoring = true;
    let listReads = 0;
    const { page, errors, close } = await signedInPage(suite, suite.tokens.operator, PRODUCT, {
      route: async (p) => {
        await p.clock.install(); // the end reached by running the page's clock on (onClock)
        await backoffNamed(
          p,
          id,
          () => Date.now() + 60_000,
          () => {
            if (!doctoring) listReads++; // the coordinator's own answers, counted
            return doctoring;
          },
        );
      },
    });
    const note = page.locator(`tr[data-job="${id}"] .waiting`);
    await expect.poll(() => note.getAttribute("class"), SOON).toBe("waiting waiting-retry_backoff");
    doctoring = false;
    await expect
      .poll(
        onClock(page, 20_000, () => note.getAttribute("class")),
        SOON,
      )
      .toBe(`waiting waiting-${now}`);
    expect(listReads).toBe(1); // one read at the end, not a poll
    expect(errors).toEqual([]);
    await close();
  });

  it("reads the board again at an end still named after its read, the page's clock ahead of the coordinator's", async () => {
    const id = (await api<{ id: string }>("POST", "/jobs", { manifest: { title: "Skewed", requires: ["tpu"] } })).id;
    const now = (await api<Reason>("GET", `/jobs/${id}`)).waitingReason.code;
    // The list's reads name a retry's backoff 5 s ahead by the coordinator's clock, already passed by the page's (30 s
    // ahead), until the board shows it; every later one is the coordinator's own answer.
    const until = Date.now() + 5_000;
    let doctoring = true;
    const { page, errors, close } = await signedInPage(suite, suite.tokens.operator, PRODUCT, {
      route: async (p) => {
        await p.clock.install({ time: Date.now() + 30_000 }); // the page's clock ahead, run on by onClock
        await backoffNamed(
          p,
          id,
          () => until,
          () => doctoring,
        );
      },
    });
    const note = page.locator(`tr[data-job="${id}"] .waiting`);
    await expect.poll(() => note.getAttribute("class"), SOON).toBe("waiting waiting-retry_backoff");
    doctoring = false;
    await expect
      .poll(
        onClock(page, 3_000, () => note.getAttribute("class")),
        SOON,
      )
      .toBe(`waiting waiting-${now}`);
    expect(errors).toEqual([]);
    await close();
  });

  it("reads the board again when the fleet moves, which bumps no queue version", async () => {
    const id = (await api<{ id: string }>("POST", "/jobs", { manifest: { title: "Wants a GPU", requires: ["gpu"] } }))
      .id;
    const { page, errors, close } = await signedInPage(suite, suite.tokens.operator, PRODUCT, {
      route: (p) => p.clock.install(), // the poller's ticks reached by running the page's clock on (onClock)
    });
    const note = page.locator(`tr[data-job="${id}"] .waiting`);
    await expect.poll(() => note.getAttribute("class"), SOON).toBe("waiting waiting-no_capable_factory");
    const before = await api<{ version: number }>("GET", "/queue-state");
    // A factory with the GPU the job needs, enrolled and not connected: nothing the version says.
    await api("POST", "/factories/enroll", { name: "gpu-1", capabilities: ["gpu"], seats: 1 });
    const now = (await api<Reason>("GET", `/jobs/${id}`)).waitingReason.code;
    expect(now).not.toBe("no_capable_factory");
    await expect
      .poll(
        onClock(page, 5_000, () => note.getAttribute("class")),
        SOON,
      )
      .toBe(`waiting waiting-${now}`);
    expect((await api<{ version: number }>("GET", "/queue-state")).version).toBe(before.version);
    expect(errors).toEqual([]);
    await close();
  });

  it("reads the board once a serial key's next due time has passed", async () => {
    await api("POST", "/serial/train-b/freeze", { reason: "release" });
    let doctoring = true;
    const { page, errors, close } = await signedInPage(suite, suite.tokens.operator, PRODUCT, {
      route: async (p) => {
        await p.clock.install(); // the end reached by running the page's clock on (onClock)
        // The gates read say train-b's next job is due in a minute until the panel shows it; later ones are real.
        await p.route(
          (u) => u.pathname.endsWith("/serial"),
          async (route) => {
            const res = await fetchRoute(route);
            if (!doctoring) return route.fulfill({ response: res });
            const page = await res.json();
            const nextDueAt = Date.now() + 60_000;
            const keys = page.keys.map((g: { key: string }) => (g.key === "train-b" ? { ...g, nextDueAt } : g));
            return route.fulfill({ json: { ...page, keys } });
          },
        );
      },
    });
    const next = page.locator('tr[data-serial-key="train-b"] td').nth(3);
    await expect.poll(() => next.textContent(), SOON).toMatch(/^none due \(next at /);
    doctoring = false;
    await expect
      .poll(
        onClock(page, 20_000, () => next.textContent()),
        SOON,
      )
      .toBe("—");
    expect(errors).toEqual([]);
    await close();
  });
});
