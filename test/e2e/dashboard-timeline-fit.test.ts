// A job page's timeline keeps each event's type inside its column, in Debian Chromium against the real local server,
// at 1280 px and on a 390 px phone: the longest type the coordinator writes (`job.dependency_failed`, a job whose
// dependency was cancelled) is one word in a monospace face, wider than the 8.2rem column, and it ran over the
// event's summary beside it — both unreadable where they crossed.
import { describe, expect, it } from "vitest";
import { dashboardSuite, signedInPage } from "./dashboard-session.ts";
import { ADMIN, adminApi } from "./harness.ts";
import { settledRead } from "./one-read.ts";

const PRODUCT = "timeline-fit";
/** A server answer or a page's draw on a busy two-core machine; never a delay. */
const SOON = { timeout: 30_000 };

describe("dashboard: a job page's timeline", () => {
  const suite = dashboardSuite(PRODUCT, { createProduct: true });
  const api = adminApi(() => suite.h.url, PRODUCT);

  it("keeps the longest event type inside its column, wide and narrow", async () => {
    const dep = (await api<{ id: string }>("POST", "/jobs", { manifest: { title: "Train", requires: ["tpu"] } })).id;
    const id = (await api<{ id: string }>("POST", "/jobs", { manifest: { title: "Deploy", deps: [dep] } })).id;
    await api("POST", `/jobs/${dep}/actions/cancel`, {});
    for (const width of [1280, 390]) {
      const { page, errors, close } = await signedInPage(suite, ADMIN, PRODUCT, { width });
      await page.goto(`${suite.h.url}/#/jobs/${id}`);
      const type = page.locator(".timeline li .etype", { hasText: "job.dependency_failed" });
      // Its text's width, its box and the summary's beside it, in one look (settledRead): an evaluate and two
      // boundingBox() calls were three round trips, and the page laid out anew between them — the panels above the
      // timeline drawn as their reads answer, slower on a loaded machine — measured the two boxes in two layouts: a
      // summary moved down off the type's line, and the check below skipped (or a box of an element since replaced).
      const { fits, t, s } = await settledRead(
        async () =>
          (
            await type.evaluateAll((els) =>
              els.map((e) => {
                const [r, q] = [e.getBoundingClientRect(), e.parentElement?.querySelector(".summary")];
                const sr = q?.getBoundingClientRect();
                return {
                  fits: e.scrollWidth <= e.clientWidth,
                  t: { x: r.x, y: r.y, width: r.width, height: r.height },
                  s: sr && { x: sr.x, y: sr.y, width: sr.width, height: sr.height },
                };
              }),
            )
          ).find((m) => m.s !== undefined && m.t.width > 0),
        "the longest type drawn beside its summary",
        SOON,
      );
      // Its text fits its box (no overflow), and its box ends before the summary's begins when they share a line.
      expect(fits).toBe(true);
      if (!s) throw new Error("the summary is not drawn");
      const sameLine = s.y < t.y + t.height && t.y < s.y + s.height;
      if (sameLine) expect(t.x + t.width).toBeLessThanOrEqual(s.x);
      expect(errors).toEqual([]);
      await close();
    }
  });
});
