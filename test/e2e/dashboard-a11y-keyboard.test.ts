// The dashboard as an operator who uses only the keyboard (or a screen reader) meets it, in Debian Chromium against
// the real local server: keyboard focus survives the redraws the pages' polls make — on a routing rule's Remove (the
// page re-reads every 10 s), on a serial key's Unfreeze on the board, on a job of a composite's graph and on a child's
// Parent link (redrawn at every queue version) — where it fell to the page's top (<body>) and Enter then pressed
// nothing; a button pressed with Enter and greyed out while its request is out gets focus back after (Save on the
// settings page), or focus goes on to where the operator goes next — the next lesson's Archive once one is archived,
// the next open alert's Ack once one is acknowledged, the status line saying the outcome once the button is gone (a
// removed rule, an unfrozen key); a composite's graph scrolls in a box that is a tab stop just before its jobs; row
// buttons are named for their row (`Remove rule …`, `Unfreeze <key>`), and a list's action column has a header;
// Escape answers a Revoke's question as Keep does; a focused Cancel greyed out by the job's cancel elsewhere hands
// focus to the job's heading.
import type { Browser, Page, Route } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium, newPage, signIn } from "./chromium.ts";
import { hasFocus, onClock, untilLessonsListed } from "./dashboard-session.ts";
import { ADMIN, adminApi, type Harness, startHarness } from "./harness.ts";

const PRODUCT = "a11y-keys";
/** A server answer or a page's next poll on a busy two-core machine; never a delay. */
const SOON = { timeout: 30_000 };

/** What holds keyboard focus: its id, else its accessible name, else its tag ("BODY" when focus is lost). */
const focused = (page: Page) =>
  page.evaluate<string>(
    '(() => { const el = document.activeElement; return el?.id || el?.getAttribute("aria-label") || el?.tagName || ""; })()',
  );

/**
 * Marks the element `selector` finds, then waits until a redraw has replaced it (the mark is gone), running the
 * page's clock (installed before it loaded: page.clock.install) `ms` on before each look — the routing page re-reads
 * every 10 s (dashboard/routing.js POLL_MS), up to 10 s waited for in real time.
 */
async function redrawOf(page: Page, selector: string, ms: number) {
  await page.locator(selector).evaluate((el) => el.setAttribute("data-old", ""));
  await expect
    .poll(
      onClock(page, ms, () => page.locator(`${selector}:not([data-old])`).count()),
      SOON,
    )
    .toBe(1);
}

describe("dashboard: keyboard focus through redraws and presses", () => {
  let h: Harness;
  let browser: Browser;
  let ruleId = "";
  let factoryId = "";
  const api = adminApi(() => h.url, PRODUCT);

  beforeAll(async () => {
    h = await startHarness();
    factoryId = (await api<{ factoryId: string }>("POST", "/factories/enroll", { name: "host-1" })).factoryId;
    ruleId = (await api<{ id: string }>("POST", "/routing/rules", { factoryId, effect: "avoid", reason: "flaky" })).id;
    await api("POST", "/serial/deploy/freeze", { reason: "release week" });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await h?.close();
  });

  it("keeps focus on a routing rule's Remove through the page's poll, then on the outcome once removed", async () => {
    const { page, errors, close } = await newPage(browser);
    await page.clock.install();
    await signIn(page, h.url, ADMIN, PRODUCT);
    await page.goto(`${h.url}/#/routing`);
    const remove = page.getByRole("button", { name: "Remove rule avoid host-1, engine any, class any" });
    await remove.focus();
    await redrawOf(page, `#remove-${ruleId}`, 11_000);
    expect(await focused(page)).toBe(`remove-${ruleId}`);

    await page.keyboard.press("Enter");
    await expect.poll(() => page.locator("#routing-status").textContent(), SOON).toBe(`Removed ${ruleId}.`);
    await expect.poll(() => focused(page), SOON).toBe("routing-status");
    expect(errors).toEqual([]);
    await close();
  });

  it("keeps focus on a serial key's Unfreeze through the board's redraw, then on the outcome", async () => {
    const { page, errors, close } = await newPage(browser);
    await signIn(page, h.url, ADMIN, PRODUCT);
    const unfreeze = page.getByRole("button", { name: "Unfreeze deploy" });
    await unfreeze.focus();
    expect(await page.getByRole("columnheader", { name: "Action" }).count()).toBe(1);
    // A new job moves the queue version: the board re-reads its list and its serial gates.
    const mark = '[data-focus-key="unfreeze:deploy"]';
    await page.locator(mark).evaluate((el) => el.setAttribute("data-old", ""));
    await api("POST", "/jobs", { manifest: { title: "moves the version" } });
    await expect.poll(() => page.locator(`${mark}:not([data-old])`).count(), SOON).toBe(1);
    expect(await focused(page)).toBe("Unfreeze deploy");

    await page.keyboard.press("Enter");
    await expect.poll(() => page.locator(".serial-status").textContent(), SOON).toBe("deploy is open");
    await expect.poll(() => page.evaluate("document.activeElement?.className"), SOON).toBe("status serial-status");
    expect(errors).toEqual([]);
    await close();
  });

  it("gives focus back to Save after a save pressed with Enter", async () => {
    const { page, errors, close } = await newPage(browser);
    await signIn(page, h.url, ADMIN, PRODUCT);
    await page.goto(`${h.url}/#/settings`);
    const save = page.getByRole("button", { name: "Save" });
    await expect.poll(() => save.isEnabled(), SOON).toBe(true);
    await page.getByLabel("Lease TTL (s)").fill("123");
    await save.focus();
    await page.keyboard.press("Enter");
    await expect.poll(() => page.locator("#settings-status").textContent(), SOON).toBe("Saved: leaseTtlSeconds.");
    expect(await focused(page)).toBe("settings-save");
    expect(errors).toEqual([]);
    await close();
  });

  it("moves focus to the next lesson's Archive once one is archived", async () => {
    const older = await api<{ id: string }>("POST", "/lessons", { text: "Run the linter first" });
    const newer = await api<{ id: string }>("POST", "/lessons", { text: "Pin the toolchain" });
    await untilLessonsListed(api, [older.id, newer.id]);
    const { page, errors, close } = await newPage(browser);
    await signIn(page, h.url, ADMIN, PRODUCT);
    await page.goto(`${h.url}/#/lessons`);
    const first = page.getByRole("button", { name: `Archive lesson ${newer.id}` });
    await expect.poll(() => page.getByRole("button", { name: /^Archive lesson / }).count(), SOON).toBe(2);
    expect(await page.locator("#lessons-list").getByRole("columnheader", { name: "Action" }).count()).toBe(1);
    await first.focus();
    await page.keyboard.press("Enter");
    await expect.poll(() => page.locator("#lessons-status").textContent(), SOON).toBe(`Archived ${newer.id}.`);
    expect(await focused(page)).toBe(`Archive lesson ${older.id}`);
    await page.keyboard.press("Enter");
    await expect.poll(() => page.locator("#lessons-status").textContent(), SOON).toBe(`Archived ${older.id}.`);
    expect(await focused(page)).toBe("lessons-status");
    expect(errors).toEqual([]);
    await close();
  });

  it("keeps focus on a job of a composite's graph and on a child's Parent link through their redraws", async () => {
    const parent = (await api<{ id: string }>("POST", "/jobs", { manifest: { title: "Parent", kind: "composite" } }))
      .id;
    // GPU-only children: no factory here runs them, so they stay queued.
    const children = [
      { title: "Step A", requires: ["gpu"] },
      { title: "Step B", requires: ["gpu"], deps: ["#0"] },
    ];
    const made = await api<{ children: Array<{ id: string }> }>("POST", `/jobs/${parent}/children`, { children });
    const child = made.children[0]?.id ?? "";
    const { page, errors, close } = await newPage(browser);
    await signIn(page, h.url, ADMIN, PRODUCT);
    await page.goto(`${h.url}/#/jobs/${parent}`);
    const node = `.dag-node[data-job="${child}"]`;
    // The graph's box is a tab stop of its own, named (it scrolls: arrow keys move it), just before its nodes: Tab
    // goes on from it to a job of the graph, Shift+Tab from there back to it.
    const box = page.getByRole("region", { name: "Children graph" });
    await box.focus();
    expect(await hasFocus(box)).toBe(true);
    await page.keyboard.press("Tab");
    expect(await page.evaluate('document.activeElement?.classList.contains("dag-node")')).toBe(true);
    await page.keyboard.press("Shift+Tab");
    expect(await hasFocus(box)).toBe(true);
    await page.locator(node).focus();
    await page.locator(node).evaluate((el) => el.setAttribute("data-old", ""));
    await api("POST", "/jobs", { manifest: { title: "moves the version again" } });
    await expect.poll(() => page.locator(`${node}:not([data-old])`).count(), SOON).toBe(1);
    expect(await page.evaluate('document.activeElement?.getAttribute("data-job")')).toBe(child);

    // The child's page: its manifest facts are redrawn at each read of the job (a version change brings one).
    await page.goto(`${h.url}/#/jobs/${child}`);
    const up = page.getByRole("link", { name: parent, exact: true });
    await up.focus();
    await up.evaluate((el) => el.setAttribute("data-old", ""));
    await api("POST", "/jobs", { manifest: { title: "and again" } });
    await expect.poll(() => page.locator('[data-focus-key="job-parent"]:not([data-old])').count(), SOON).toBe(1);
    expect(await page.evaluate('document.activeElement?.getAttribute("data-focus-key")')).toBe("job-parent");
    expect(errors).toEqual([]);
    await close();
  });

  // The job's stage moved elsewhere (the API, the CLI, another tab): the feed's re-read greys out the focused
  // Cancel, which dropped focus to <body>. No action is offered a cancelled job, and the actions' line is empty: focus
  // goes to the job's heading (its title and stage).
  it("moves focus off Cancel to the job's heading when the job is cancelled elsewhere", async () => {
    const id = (
      await api<{ id: string }>("POST", "/jobs", { manifest: { title: "Cancelled elsewhere", requires: ["gpu"] } })
    ).id;
    const { page, errors, close } = await newPage(browser);
    await signIn(page, h.url, ADMIN, PRODUCT);
    await page.goto(`${h.url}/#/jobs/${id}`);
    const cancel = page.locator('button[data-action="cancel"]');
    await expect.poll(() => cancel.isEnabled(), SOON).toBe(true);
    await cancel.focus();
    await api("POST", `/jobs/${id}/actions/cancel`, {});
    await expect.poll(() => cancel.isDisabled(), SOON).toBe(true);
    await expect.poll(() => page.evaluate('document.activeElement?.id ?? ""'), SOON).toBe("job-title");
    expect(errors).toEqual([]);
    await close();
  });

  it("moves focus to the next open alert's Ack once one is acknowledged with Enter", async () => {
    // Open alerts served by page.route (real ones need a fleet failing for minutes); the ack answers as the API does.
    const alert = (n: number, acked: boolean) => ({
      id: `al_${String(n).padStart(12, "0")}`,
      kind: "factory_down",
      subject: `host-${n}`,
      severity: "critical",
      state: acked ? "acknowledged" : "open",
      ...(acked ? { acknowledgedBy: "admin" } : {}),
      message: `Factory host-${n} is down`,
      openedAt: 1_700_000_000_000 + n,
    });
    const acked = new Set<number>();
    const { page, errors, close } = await newPage(browser);
    await page.route(
      (u) => u.pathname.endsWith("/alerts"),
      async (route: Route) => {
        const state = new URL(route.request().url()).searchParams.get("state");
        const all = [3, 2, 1].map((n) => alert(n, acked.has(n)));
        await route.fulfill({ json: { alerts: all.filter((a) => a.state === state) } });
      },
    );
    await page.route(
      (u) => u.pathname.endsWith("/ack"),
      async (route: Route) => {
        acked.add(2);
        await route.fulfill({ json: alert(2, true) });
      },
    );
    await signIn(page, h.url, ADMIN, PRODUCT);
    await page.goto(`${h.url}/#/alerts`);
    await page.getByRole("button", { name: "Acknowledge factory_down host-2" }).focus();
    await page.keyboard.press("Enter");
    await expect
      .poll(() => page.locator("#alerts-status").textContent(), SOON)
      .toBe(`Acknowledged ${alert(2, true).id}.`);
    await expect.poll(() => focused(page), SOON).toBe("Acknowledge factory_down host-1");
    expect(errors).toEqual([]);
    await close();
  });

  it("answers a Revoke's question with Escape as Keep does", async () => {
    const code = await api<{ id: string }>("POST", "/factories/enrollment-codes", { ttlSeconds: 3600 });
    const { page, errors, close } = await newPage(browser);
    await signIn(page, h.url, ADMIN, PRODUCT);
    await page.goto(`${h.url}/#/enrollment`);
    await page.getByRole("button", { name: `Revoke ${code.id}` }).focus();
    await page.keyboard.press("Enter");
    await expect.poll(() => focused(page), SOON).toBe("BUTTON"); // Keep, the safe answer
    await page.keyboard.press("Escape");
    expect(await focused(page)).toBe(`Revoke ${code.id}`);
    expect(await page.getByTestId("code-revoke-confirm").count()).toBe(0);
    expect(await api<{ codes: unknown[] }>("GET", "/factories/enrollment-codes")).toMatchObject({
      codes: [{ id: code.id }],
    });
    expect(errors).toEqual([]);
    await close();
  });
});
