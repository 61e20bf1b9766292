// The dashboard at the edges of what it is answered, in Debian Chromium against the real local server: a time past
// Date's range (an enrollment code expiring in year 287,000) is drawn as "not a date", not thrown (the list failed with
// "Invalid time value"); a whoami answered 200 with a page that is not JSON (a gateway's sign-in page) is a role not
// read — no role-gated control, the header says why — not a passing failure retried until every control was offered —
// and is asked again, the operator's controls offered once it answers; an explain whose kept factory lost its lease by
// expiry says the lease expired, not that the host "let" it (a crashed host does not); a minted code's Copy goes once a
// host has used the code (the fleet moved: the list is read again); a version change whose counts read fails is told to
// the pages once, not at each failed tick after (each re-read the board); and a read of the job sent before one already
// drawn draws nothing when it answers late, nor does a panel's read (the explain) overtaken by a newer one.
import type { APIResponse, Page, Route } from "playwright-core";
import { describe, expect, it } from "vitest";
import { fetchRoute } from "./chromium.ts";
import { dashboardSuite, onClock, signedInPage } from "./dashboard-session.ts";
import { adminApi, call, P } from "./harness.ts";

const PRODUCT = "edge-answers";
/** A server answer or a page's draw on a busy two-core machine; never a delay. */
const SOON = { timeout: 30_000 };

describe("dashboard: answers at the edges", () => {
  const suite = dashboardSuite(PRODUCT, { tokens: true });
  const api = adminApi(() => suite.h.url, PRODUCT);
  const open = (route?: (p: Page) => Promise<void>) =>
    signedInPage(suite, suite.tokens.operator, PRODUCT, route ? { route } : {});

  it("draws a code whose expiry is past Date's range, saying it is not a date", async () => {
    const { id } = await api<{ id: string }>("POST", "/factories/enrollment-codes", { name: "far-1" });
    const { page, errors, close } = await open((p) =>
      p.route(
        (u) => u.pathname.endsWith("/factories/enrollment-codes"),
        async (route) => {
          if (route.request().method() !== "GET") return route.fallback();
          const res = await fetchRoute(route);
          const { codes } = (await res.json()) as { codes: Array<{ id: string }> };
          const far = codes.map((c) => (c.id === id ? { ...c, expiresAt: 9e15 } : c));
          return route.fulfill({ json: { codes: far } });
        },
      ),
    );
    await page.goto(`${suite.h.url}/#/enrollment`);
    const expires = page.locator(`tr[data-code-id="${id}"] td`).nth(3);
    await expect.poll(() => expires.getAttribute("title"), SOON).toBe("not a date");
    expect(await page.locator("#codes-status").textContent()).toBe("");
    expect(errors).toEqual([]);
    await close();
  });

  it("takes a whoami answered 200 with a page that is not JSON as a role not read", async () => {
    const { page, errors, close } = await open((p) =>
      p.route(
        (u) => u.pathname.endsWith("/whoami"),
        (route) => route.fulfill({ status: 200, contentType: "text/html", body: "<html><p>Sign in</p></html>" }),
      ),
    );
    const marker = page.locator("#role-marker");
    await expect.poll(() => marker.textContent(), SOON).toBe("read-only (role not read)");
    expect(await marker.getAttribute("title")).toMatch(/GET …\/whoami: .*not JSON/);
    expect(await page.locator("html").getAttribute("data-role")).toBe("unread");
    expect(errors).toEqual([]);
    await close();
  });

  it("asks a whoami not read again, and offers the operator's controls once it answers", async () => {
    let asked = 0;
    const { page, errors, close } = await open(async (p) => {
      await p.clock.install(); // the poller's ticks run on (onClock)
      await p.route(
        (u) => u.pathname.endsWith("/whoami"),
        (route) =>
          asked++ === 0
            ? route.fulfill({ status: 200, contentType: "text/html", body: "<html><p>One moment</p></html>" })
            : route.fallback(),
      );
    });
    const marker = page.locator("#role-marker");
    await expect.poll(() => marker.count(), SOON).toBe(1); // the gateway's page: a role not read
    await expect
      .poll(
        onClock(page, 3_000, () => page.locator("html").getAttribute("data-role")),
        SOON,
      )
      .toBe("operator");
    expect(await marker.count()).toBe(0);
    expect(errors).toEqual([]);
    await close();
  });

  it("says a kept factory's lease expired, not that it let it expire", async () => {
    const { id } = await api<{ id: string }>("POST", "/jobs", { manifest: { title: "Kept", requires: ["tpu"] } });
    const { page, errors, close } = await open((p) =>
      p.route(
        (u) => u.pathname.endsWith(`/jobs/${id}/explain`),
        async (route) => {
          const x = (await (await fetchRoute(route)).json()) as { at: number };
          const kept = {
            jobId: id,
            factoryId: "f-crashed",
            strikes: 1,
            kind: "expired",
            at: x.at,
            until: x.at + 60_000,
          };
          return route.fulfill({ json: { ...x, exclusions: [kept] } });
        },
      ),
    );
    await page.goto(`${suite.h.url}/#/jobs/${id}`);
    const kept = page.locator(".exclusions li");
    await expect.poll(() => kept.textContent(), SOON).toMatch(/^f-crashed its lease expired · strike 1 · kept from/);
    expect(errors).toEqual([]);
    await close();
  });

  it("takes a minted code's Copy away once a host has used the code", async () => {
    const { page, errors, close } = await open((p) => p.clock.install()); // the poller's ticks run on (onClock)
    await page.goto(`${suite.h.url}/#/enrollment`);
    await page.locator("#code-new-name").fill("used-1");
    await page.locator("#code-new").click();
    const code = await page.locator("#code-once-value").inputValue();
    expect(code).not.toBe("");
    const enrolled = await call(suite.h.url, "POST", `${P(PRODUCT)}/factories/enroll`, code, { name: "used-1" });
    expect(enrolled.status).toBe(201);
    await expect
      .poll(
        onClock(page, 16_000, () => page.locator("#code-copy").count()),
        SOON,
      )
      .toBe(0);
    expect(await page.locator("#code-new-status").textContent()).toMatch(/is no longer waiting to be used/);
    expect(errors).toEqual([]);
    await close();
  });

  it("tells the board of a version change once while the counts read fails, not at each failed tick", async () => {
    let listReads = 0;
    let queueReads = 0;
    let statsDown = false;
    const { page, errors, close } = await open(async (p) => {
      await p.clock.install(); // the poller's ticks run on (onClock)
      await p.route(
        (u) => u.pathname.endsWith("/jobs") && u.searchParams.has("limit"),
        (route) => {
          listReads++;
          return route.fallback();
        },
      );
      await p.route(
        (u) => u.pathname.endsWith("/queue-state"),
        (route) => {
          queueReads++;
          return route.fallback();
        },
      );
      await p.route(
        (u) => u.pathname.endsWith("/stats"),
        (route) => (statsDown ? route.fulfill({ status: 503, body: "down" }) : route.fallback()),
      );
    });
    await page.goto(`${suite.h.url}/#/jobs`);
    await page.locator("table.jobs tbody tr").first().waitFor(SOON);
    statsDown = true;
    const { id } = await api<{ id: string }>("POST", "/jobs", { manifest: { title: "Moved", requires: ["tpu"] } });
    await expect
      .poll(
        onClock(page, 3_000, () => page.locator(`tr[data-job="${id}"]`).count()),
        SOON,
      )
      .toBe(1);
    const [reads, ticks] = [listReads, queueReads];
    // Four more ticks, each failing to read the counts (backed off: up to 30 s apart).
    await expect
      .poll(
        onClock(page, 30_000, async () => queueReads - ticks),
        SOON,
      )
      .toBeGreaterThanOrEqual(4);
    expect(listReads).toBe(reads);
    expect(errors).toEqual([]);
    await close();
  });

  it("draws nothing of a read of the job sent before one already drawn, answered late", async () => {
    const { id } = await api<{ id: string }>("POST", "/jobs", { manifest: { title: "Late", requires: ["tpu"] } });
    const { page, errors, close } = await open();
    await page.goto(`${suite.h.url}/#/jobs/${id}`);
    const badge = page.locator(".job-stage .badge");
    await expect.poll(() => badge.textContent(), SOON).toBe("queued");
    // Every badge the page draws from here on, in order.
    await page.evaluate(`{
      const at = document.querySelector(".job-stage");
      window.seen = [];
      new MutationObserver(() => window.seen.push(at.querySelector(".badge")?.textContent ?? ""))
        .observe(at, { childList: true, subtree: true, characterData: true });
    }`);
    // The next read of the job is answered by the coordinator at once (queued) and handed to the page when let go.
    let holding = true;
    const held: Array<[Route, APIResponse]> = [];
    await page.route(
      (u) => u.pathname.endsWith(`/jobs/${id}`),
      async (route) => {
        if (route.request().method() !== "GET" || !holding) return route.fallback();
        holding = false;
        held.push([route, await fetchRoute(route)]);
      },
    );
    await api("POST", "/jobs", { manifest: { title: "A version move", requires: ["tpu"] } }); // the page reads the job
    await expect.poll(() => held.length, SOON).toBe(1);
    await api("POST", `/jobs/${id}/actions/cancel`, {});
    await expect.poll(() => badge.textContent(), SOON).toBe("cancelled");
    const [route, response] = held[0]!;
    const answered = page.waitForEvent("requestfinished", (r) => r === route.request());
    await route.fulfill({ response });
    await answered;
    // A read after it, answered after it: by then the late answer has been handled.
    const later = page.waitForResponse((r) => r.url().endsWith(`/jobs/${id}`) && r.request().method() === "GET");
    await api("POST", "/jobs", { manifest: { title: "Another move", requires: ["tpu"] } });
    await later;
    await expect.poll(() => badge.textContent(), SOON).toBe("cancelled");
    const seen = (await page.evaluate("window.seen")) as string[];
    expect(seen.slice(seen.indexOf("cancelled"))).not.toContain("queued");
    expect(errors).toEqual([]);
    await close();
  });

  it("draws nothing of a panel's read overtaken by a newer one (the explain), answered late", async () => {
    const { id } = await api<{ id: string }>("POST", "/jobs", { manifest: { title: "Explained", requires: ["tpu"] } });
    // The page's first read of the explain is answered as if older ("stale-first" priority) and handed over when let go.
    const held: Array<{ route: Route; json: Record<string, unknown> }> = [];
    let asked = 0;
    const { page, errors, close } = await open((p) =>
      p.route(
        (u) => u.pathname.endsWith(`/jobs/${id}/explain`),
        async (route) => {
          if (asked++ > 0) return route.fallback();
          const x = (await (await fetchRoute(route)).json()) as Record<string, unknown>;
          held.push({ route, json: { ...x, priority: "stale-first" } });
        },
      ),
    );
    await page.goto(`${suite.h.url}/#/jobs/${id}`);
    await expect.poll(() => held.length, SOON).toBe(1);
    await api("POST", `/jobs/${id}/actions/cancel`, {}); // its events read the explain again: a newer read
    const said = page.locator("#explain-title").locator("xpath=../..").locator("p.muted").first();
    await expect.poll(() => said.textContent(), SOON).toMatch(/ priority /);
    const { route, json } = held[0]!;
    const handed = page.waitForEvent("requestfinished", (r) => r === route.request());
    await route.fulfill({ json });
    await handed;
    await page.evaluate("0"); // a round trip of the page's event loop: the answer handed over has been handled
    expect(await said.textContent()).not.toMatch(/stale-first/);
    expect(errors).toEqual([]);
    await close();
  });
});
