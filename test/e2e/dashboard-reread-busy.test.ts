// An action stays one request until the list it changed has been read again, on every page that reads its list again
// after an action, in Debian Chromium against the real local server (reads held or stood in for by page.route): the
// pages let go of a Redrive, an Archive, a Revoke, a New code, an Ack, a Release or a Save at its answer, and a
// redraw before the list's re-read landed (Show older, Refresh, a poller's read) drew the button armed again — one
// more press sent the request twice. Each case counts the page's own fetches (wrapped before the page loads, so a
// press that sends is counted the moment it is handled) and presses the redrawn button while the re-read is held.
// And the budget page's poll that was out when Pause answered, failing after it (a 503), no longer wipes "Paused".
import type { Page, Route } from "playwright-core";
import { describe, expect, it } from "vitest";
import { holdRequests } from "./chromium.ts";
import { dashboardSuite, onClock, signedInPage } from "./dashboard-session.ts";
import { adminApi } from "./harness.ts";
import { countFetches, fulfillJson as json } from "./page-fetches.ts";

const PRODUCT = "reread-busy";
/** A server answer or a page's draw on a busy two-core machine; never a delay. */
const SOON = { timeout: 30_000 };

/** Holds the next `method` request to a path ending in `suffix` until `answer()`; the others pass (or `serve`). */
async function holdNext(page: Page, method: string, suffix: string, serve?: (route: Route) => Promise<void>) {
  let release = () => {};
  const gate = new Promise<void>((r) => {
    release = r;
  });
  let armed = false;
  let waiting = 0;
  await page.route(
    (u) => u.pathname.endsWith(suffix),
    async (route) => {
      if (route.request().method() !== method) return route.fallback();
      if (armed) {
        armed = false;
        waiting++;
        await gate;
      }
      if (serve) await serve(route);
      else await route.fallback();
    },
  );
  return {
    arm: () => {
      armed = true;
    },
    waiting: () => waiting,
    answer: () => release(),
  };
}

/** A press of `button` with the keyboard, busy or not (a click would wait for an aria-disabled button to arm). */
async function press(page: Page, button: ReturnType<Page["locator"]>) {
  await button.focus();
  await page.keyboard.press("Enter");
}

describe("dashboard: an action's guard outlasts its list's re-read", () => {
  const suite = dashboardSuite(PRODUCT, { createProduct: true, tokens: true });
  const api = adminApi(() => suite.h.url, PRODUCT);

  it("dead letters: a Redrive whose answer was lost is not sent again while the list is read again", async () => {
    let sent: Awaited<ReturnType<typeof countFetches>> = async () => 0;
    const letter = (id: string, at: number) => ({
      id,
      source: "queue:webhook",
      reason: "503",
      attempts: 9,
      at,
      body: {},
    });
    let reads: Awaited<ReturnType<typeof holdNext>> | undefined;
    const { page, errors, close } = await signedInPage(suite, suite.tokens.operator, PRODUCT, {
      route: async (p) => {
        sent = await countFetches(p);
        // A stand-in list of two pages; the redrive's answer is lost (503: it may have been sent).
        reads = await holdNext(p, "GET", "/dead-letters", (route) => {
          const second = new URL(route.request().url()).searchParams.get("cursor") === "p2";
          const items = second ? [letter("dl-old", Date.now() - 60_000)] : [letter("dl-1", Date.now())];
          return json(route, { items, ...(second ? {} : { nextCursor: "p2" }) });
        });
        await p.route("**/dead-letters/dl-1/redrive", (route) =>
          json(route, { type: "about:blank", title: "Unavailable", detail: "try later", code: "unavailable" }, 503),
        );
      },
    });
    await page.goto(`${suite.h.url}/#/dead-letters`);
    const redrive = page.getByRole("button", { name: "Redrive dl-1", exact: true });
    await redrive.waitFor(SOON);
    reads?.arm(); // the read after the refusal waits here
    await redrive.click();
    await expect.poll(() => reads?.waiting(), SOON).toBe(1);
    await expect.poll(() => page.locator("#dead-letters-status").textContent(), SOON).toMatch(/^Not redriven dl-1/);
    // Show older: the list is drawn anew, with the first page's row, while the re-read is still out.
    await page.getByRole("button", { name: "Show older dead letters" }).click();
    await page.locator('tr[data-dead-letter-id="dl-old"]').waitFor(SOON);
    await press(page, redrive);
    expect(await sent("POST", "/redrive")).toBe(1);
    expect(await redrive.getAttribute("aria-disabled")).toBe("true");
    reads?.answer();
    await expect.poll(() => redrive.getAttribute("aria-disabled"), SOON).toBe(null);
    expect(await sent("POST", "/redrive")).toBe(1);
    expect(errors).toEqual([]);
    await close();
  });

  it("lessons: an Archive out is not sent again by the row an older page's read draws anew", async () => {
    let sent: Awaited<ReturnType<typeof countFetches>> = async () => 0;
    const lesson = (id: string) => ({
      id,
      text: `lesson ${id}`,
      source: "operator",
      createdBy: "operator",
      capabilities: [],
      count: 1,
      updatedAt: Date.now(),
    });
    const { page, errors, close } = await signedInPage(suite, suite.tokens.operator, PRODUCT, {
      route: async (p) => {
        sent = await countFetches(p);
        await p.route(
          (u) => u.pathname.endsWith("/lessons"),
          (route) => {
            const older = new URL(route.request().url()).searchParams.get("cursor") === "c2";
            return json(route, older ? { items: [lesson("l-old")] } : { items: [lesson("l-1")], nextCursor: "c2" });
          },
        );
      },
    });
    // The archive's PATCH is held, then answered by a stand-in (the lesson is the stand-in list's).
    const patches = await holdNext(page, "PATCH", "/lessons/l-1", (route) => json(route, { changed: true }));
    patches.arm();
    await page.goto(`${suite.h.url}/#/lessons`);
    const archive = page.getByRole("button", { name: "Archive lesson l-1", exact: true });
    await archive.click();
    await expect.poll(() => patches.waiting(), SOON).toBe(1);
    await page.getByRole("button", { name: "Show older lessons" }).click();
    await page.locator('tr[data-lesson-id="l-old"]').waitFor(SOON);
    await press(page, archive);
    expect(await sent("PATCH", "/lessons/l-1")).toBe(1);
    expect(await archive.getAttribute("aria-disabled")).toBe("true");
    patches.answer();
    await expect.poll(() => page.locator("#lessons-status").textContent(), SOON).toBe("Archived l-1.");
    expect(await sent("PATCH", "/lessons/l-1")).toBe(1);
    expect(errors).toEqual([]);
    await close();
  });

  it("enrollment codes: a Revoke out is not sent again by the row a Refresh draws anew", async () => {
    const minted = await api<{ id: string }>("POST", "/factories/enrollment-codes", { ttlSeconds: 3600 });
    let sent: Awaited<ReturnType<typeof countFetches>> = async () => 0;
    const { page, errors, close } = await signedInPage(suite, suite.tokens.operator, PRODUCT, {
      route: async (p) => {
        sent = await countFetches(p);
      },
    });
    await page.goto(`${suite.h.url}/#/enrollment`);
    const row = page.locator(`tr[data-code-id="${minted.id}"]`);
    const revoke = row.getByRole("button", { name: `Revoke ${minted.id}`, exact: true });
    await revoke.click();
    const deletes = await holdRequests(page, "DELETE", `/enrollment-codes/${minted.id}`);
    await row.getByTestId("code-revoke-confirm").click();
    await expect.poll(() => deletes.sent(), SOON).toBe(1);
    // Refresh while the DELETE is out: the list (read before the revoke lands) draws the row anew.
    const listed = await sent("GET", "/enrollment-codes");
    await page.locator("#codes-refresh").click();
    await expect.poll(() => sent("GET", "/enrollment-codes"), SOON).toBe(listed + 1);
    await expect.poll(() => page.locator("#codes-refresh").getAttribute("aria-disabled"), SOON).toBe(null);
    expect(await revoke.getAttribute("aria-disabled")).toBe("true");
    await press(page, revoke);
    expect(await row.getByTestId("code-revoke-confirm").count()).toBe(0); // the question is not asked again
    deletes.answer();
    await expect
      .poll(() => page.locator("#codes-status").textContent(), SOON)
      .toBe(`Revoked ${minted.id}: it can no longer enroll a factory.`);
    await expect.poll(() => row.count(), SOON).toBe(0);
    expect(await sent("DELETE", `/enrollment-codes/${minted.id}`)).toBe(1);
    expect(errors).toEqual([]);
    await close();
  });

  it("enrollment codes: New code whose answer was lost stays busy until the list shows what was made", async () => {
    let sent: Awaited<ReturnType<typeof countFetches>> = async () => 0;
    let reads: Awaited<ReturnType<typeof holdNext>> | undefined;
    const { page, errors, close } = await signedInPage(suite, suite.tokens.operator, PRODUCT, {
      route: async (p) => {
        sent = await countFetches(p);
        reads = await holdNext(p, "GET", "/enrollment-codes");
      },
    });
    await page.goto(`${suite.h.url}/#/enrollment`);
    const submit = page.locator("#code-new");
    await submit.waitFor(SOON);
    await expect.poll(() => page.locator("#codes-refresh").getAttribute("aria-disabled"), SOON).toBe(null);
    // The code is made, but its answer never reaches the page (the connection drops).
    await page.route("**/factories/enrollment-codes", (route) =>
      route.request().method() === "POST" ? route.abort("connectionreset") : route.fallback(),
    );
    reads?.arm();
    await submit.click();
    await expect.poll(() => reads?.waiting(), SOON).toBe(1);
    expect(await submit.getAttribute("aria-disabled")).toBe("true");
    await press(page, submit);
    expect(await sent("POST", "/enrollment-codes")).toBe(1);
    reads?.answer();
    await expect.poll(() => submit.getAttribute("aria-disabled"), SOON).toBe(null);
    expect(await sent("POST", "/enrollment-codes")).toBe(1);
    expect(errors).toEqual([]);
    await close();
  });

  it("settings: a Save whose answer was lost stays busy until the settings are read back", async () => {
    let sent: Awaited<ReturnType<typeof countFetches>> = async () => 0;
    let reads: Awaited<ReturnType<typeof holdNext>> | undefined;
    const { page, errors, close } = await signedInPage(suite, suite.tokens.operator, PRODUCT, {
      route: async (p) => {
        sent = await countFetches(p);
        reads = await holdNext(p, "GET", "/settings");
      },
    });
    await page.goto(`${suite.h.url}/#/settings`);
    const save = page.locator("#settings-save");
    await expect.poll(() => save.isEnabled(), SOON).toBe(true);
    await page.locator("#setting-leaseTtlSeconds").fill("77");
    await page.route("**/settings", (route) =>
      route.request().method() === "PATCH" ? route.abort("connectionreset") : route.fallback(),
    );
    reads?.arm();
    await save.click();
    await expect.poll(() => reads?.waiting(), SOON).toBe(1);
    expect(await save.getAttribute("aria-disabled")).toBe("true");
    await press(page, save);
    expect(await sent("PATCH", "/settings")).toBe(1);
    reads?.answer();
    await expect.poll(() => save.getAttribute("aria-disabled"), SOON).toBe(null);
    expect(await sent("PATCH", "/settings")).toBe(1);
    expect(errors).toEqual([]);
    await close();
  });

  it("alerts: an Ack is not sent again by the row an older page's read draws while the list is read again", async () => {
    let sent: Awaited<ReturnType<typeof countFetches>> = async () => 0;
    let reads: Awaited<ReturnType<typeof holdNext>> | undefined;
    const alert = (id: string) => ({
      id,
      kind: "factory_down",
      subject: `box-${id}`,
      severity: "warning",
      state: "open",
      message: "no heartbeat",
      openedAt: Date.now() - 60_000,
    });
    const { page, errors, close } = await signedInPage(suite, suite.tokens.operator, PRODUCT, {
      route: async (p) => {
        sent = await countFetches(p);
        // A stand-in list of open alerts, two pages: the list D1 gives may still say open a moment after an ack.
        reads = await holdNext(p, "GET", "/alerts", (route) => {
          const older = new URL(route.request().url()).searchParams.get("cursor") === "p2";
          return json(route, older ? { alerts: [alert("a-old")] } : { alerts: [alert("a-1")], nextCursor: "p2" });
        });
        await p.route("**/alerts/a-1/ack", (route) => {
          reads?.arm(); // the read after the answer waits
          return json(route, { acknowledged: true });
        });
      },
    });
    await page.goto(`${suite.h.url}/#/alerts?state=open`);
    const ack = page.getByRole("button", { name: "Acknowledge factory_down box-a-1", exact: true });
    await ack.click();
    await expect.poll(() => reads?.waiting(), SOON).toBe(1);
    await page.getByRole("button", { name: /^Show older/ }).click();
    await page.locator('tr[data-alert-id="a-old"]').waitFor(SOON);
    await press(page, ack);
    expect(await sent("POST", "/alerts/a-1/ack")).toBe(1);
    expect(await ack.getAttribute("aria-disabled")).toBe("true");
    reads?.answer();
    await expect.poll(() => ack.getAttribute("aria-disabled"), SOON).toBe(null);
    expect(await sent("POST", "/alerts/a-1/ack")).toBe(1);
    expect(errors).toEqual([]);
    await close();
  });

  it("fleet: a Release is not sent again by the card a poller's read draws while the list is read again", async () => {
    let sent: Awaited<ReturnType<typeof countFetches>> = async () => 0;
    let reads: Awaited<ReturnType<typeof holdNext>> | undefined;
    const factory = () => ({
      id: "f-q",
      name: "box-q",
      status: "quarantined",
      health: "ok",
      seats: 2,
      load: 0,
      lastHeartbeatAt: Date.now(),
      capabilities: [],
      breakers: [],
    });
    const { page, errors, close } = await signedInPage(suite, suite.tokens.operator, PRODUCT, {
      route: async (p) => {
        sent = await countFetches(p);
        // A stand-in fleet: the poller's reads that were out when the release landed still say quarantined.
        reads = await holdNext(p, "GET", "/factories", (route) => json(route, { factories: [factory()] }));
        await p.route("**/factories/f-q/release", (route) => {
          reads?.arm(); // the read after the answer waits
          return json(route, { released: true });
        });
      },
    });
    await page.goto(`${suite.h.url}/#/fleet`);
    const release = page.getByRole("button", { name: "Release box-q", exact: true });
    await release.click();
    await expect.poll(() => reads?.waiting(), SOON).toBe(1);
    // The queue moves: the poller reads the list (the stand-in, still quarantined) and draws the card anew.
    const drawn = await release.elementHandle();
    await api("POST", "/jobs", { manifest: { title: "moves the queue version" } });
    await expect.poll(() => release.evaluate((b, old) => b !== old, drawn), SOON).toBe(true);
    await press(page, release);
    expect(await sent("POST", "/factories/f-q/release")).toBe(1);
    expect(await release.getAttribute("aria-disabled")).toBe("true");
    reads?.answer();
    await expect.poll(() => release.getAttribute("aria-disabled"), SOON).toBe(null);
    expect(await sent("POST", "/factories/f-q/release")).toBe(1);
    expect(errors).toEqual([]);
    await close();
  });

  it("budget: a poll overtaken by Pause and failing after it does not write its failure over the pause", async () => {
    await api("PUT", "/budget", { period: "day", ceilingUsd: 100, onExhausted: "pause" });
    let armed = false;
    let held = 0;
    let failed = false;
    let release = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const { page, errors, close } = await signedInPage(suite, suite.tokens.operator, PRODUCT, {
      // The page's clock run on to its next poll (every 5 s) rather than waited for (onClock).
      route: async (p) => {
        await p.clock.install();
        // The next poll once armed is held, then answered 503; every other read is the real one.
        await p.route(
          (u) => u.pathname.endsWith("/budget"),
          async (route) => {
            if (route.request().method() !== "GET" || !armed) return route.fallback();
            armed = false;
            held++;
            await gate;
            failed = true;
            await json(route, { type: "about:blank", title: "Unavailable", detail: "later", code: "unavailable" }, 503);
          },
        );
      },
    });
    await page.goto(`${suite.h.url}/#/budget`);
    const pause = page.locator("#budget-pause");
    await expect.poll(() => pause.isEnabled(), SOON).toBe(true);
    armed = true;
    await expect
      .poll(
        onClock(page, 5_000, async () => held),
        SOON,
      )
      .toBe(1); // the page's next poll is out, held
    await pause.click();
    const status = page.locator("#budget-status");
    await expect.poll(() => status.textContent(), SOON).toBe("Paused: no new dispatch until resumed.");
    release();
    await expect.poll(() => failed, SOON).toBe(true);
    // One more poll lands after the failed one (the real one): the pause's line is still what the page says.
    // Real reads counted as they finish (the held one was answered 503), not from performance's resource entries:
    // the page's installed clock fakes those (none).
    let reads = 0;
    page.on("requestfinished", async (r) => {
      if (r.method() !== "GET" || !new URL(r.url()).pathname.endsWith("/budget")) return;
      if ((await r.response())?.status() === 200) reads++;
    });
    const before = reads;
    await expect
      .poll(
        onClock(page, 5_000, async () => reads > before),
        SOON,
      )
      .toBe(true);
    expect(await status.textContent()).toBe("Paused: no new dispatch until resumed.");
    await api("POST", "/budget/resume");
    expect(errors).toEqual([]);
    await close();
  });
});
