// The Fleet page's grant controls (dashboard/fleet-grants.js), in Debian Chromium against the real local server: a
// factory enrolled with os:linux and 2 seats whose heartbeat (its token, the real HTTP path) declares gpu and 8 seats
// shows "gpu" waiting for approval and "seat limit 2 · it declares 8"; an operator's Approve grants exactly gpu — the
// card then routes on it, nothing pending — and the seat-limit control sets 4 (a 0 typed is refused on the page, with
// no request); a seat limit typed survives the poller's redraws. A viewer sees what waits but no control. A factory
// removed while its Approve is out: the 404 is said on the page's own line (the card is gone with the list read
// again) and focus goes there; one revoked meanwhile: the 409 likewise (its card, revoked, has no grant block). An
// approval whose list read that follows fails (a coordinator failing) is drawn from its answer: the card left
// "waiting for approval" and Approve armed under the line that said it was approved. A grant out while the operator
// leaves the page and comes back is drawn busy on the new page: a second press sent a second grant. The shared
// poller's read of the list sent before an Approve and answered after the approval's own read is not drawn: it drew
// the card "waiting for approval" again, Approve armed, until the list was next read (15 s, or never while failing).
import type { APIResponse, Browser, Page, Route } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fetchRoute, holdRequests, launchChromium, newPage, signIn } from "./chromium.ts";
import { ADMIN, adminApi, call, type Harness, mintRoleTokens, P, startHarness } from "./harness.ts";

const PRODUCT = "grants";
/** A server answer or a page's first draw on a busy two-core machine; never a delay. */
const SOON = { timeout: 30_000 };

type Factory = { id: string; name: string; capabilities: string[]; pendingCapabilities?: string[]; seatLimit?: number };

describe("dashboard: approving what a factory declared beyond its grant", () => {
  let h: Harness;
  let browser: Browser;
  const tokens = { viewer: "", operator: "" };
  const api = adminApi(() => h.url, PRODUCT);
  const ids = { box1: "", box2: "", box3: "", box4: "", box5: "", box6: "" };

  /** Enrolls `name` with os:linux on 2 seats, then heartbeats (as the factory) declaring `declared` on 8 seats. */
  const declaredBeyond = async (name: string, declared: string[]) => {
    const f = await api<{ factoryId: string; token: string }>("POST", "/factories/enroll", {
      name,
      capabilities: ["os:linux"],
      seats: 2,
    });
    const hb = await call(h.url, "POST", `${P(PRODUCT)}/factories/heartbeat`, f.token, {
      capabilities: ["os:linux", ...declared],
      seats: 8,
    });
    expect(hb.status).toBe(200);
    return f.factoryId;
  };
  const factory = async (id: string) => api<Factory>("GET", `/factories/${id}`);

  beforeAll(async () => {
    h = await startHarness();
    Object.assign(tokens, await mintRoleTokens(h.url, PRODUCT));
    ids.box1 = await declaredBeyond("box-1", ["gpu"]);
    ids.box2 = await declaredBeyond("box-2", ["cuda"]);
    ids.box3 = await declaredBeyond("box-3", ["fpga"]);
    ids.box4 = await declaredBeyond("box-4", ["tpu"]);
    ids.box5 = await declaredBeyond("box-5", ["npu"]);
    ids.box6 = await declaredBeyond("box-6", ["dsp"]);
    expect(await factory(ids.box1)).toMatchObject({ pendingCapabilities: ["gpu"], seatLimit: 2 });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await h?.close();
  });

  const card = (page: Page, name: string) => page.locator(`li[data-factory="${name}"]`);

  it("shows a viewer what waits for approval, and no control", async () => {
    const { page, errors, close } = await newPage(browser);
    await signIn(page, h.url, tokens.viewer, PRODUCT);
    await page.locator("#role-marker").waitFor(SOON);
    await page.goto(`${h.url}/#/fleet`);
    await expect.poll(() => card(page, "box-1").locator(`#grant-pending-${ids.box1}`).textContent(), SOON).toBe("gpu");
    expect(await card(page, "box-1").locator(`#grant-limit-${ids.box1}`).textContent()).toBe(
      "seat limit 2 · it declares 8",
    );
    // Drawn (marked data-needs), none of them shown.
    const controls = await page.locator(".grant button, .grant input").evaluateAll((els) => ({
      drawn: els.length,
      shown: els.filter((e) => (e as unknown as { offsetParent: unknown }).offsetParent !== null).length,
    }));
    expect(controls).toEqual({ drawn: 18, shown: 0 }); // per card (6): Approve, the seat limit and its Set

    expect(errors).toEqual([]);
    await close();
  });

  it("lets an operator approve exactly what waits, and set the seat limit; the card shows the new grant", async () => {
    const { page, errors, close } = await newPage(browser);
    let approvals = 0;
    page.on("request", (r) => {
      if (r.method() === "POST" && r.url().endsWith("/capabilities/approve")) approvals++;
    });
    await signIn(page, h.url, tokens.operator, PRODUCT);
    await page.goto(`${h.url}/#/fleet`);
    const box1 = card(page, "box-1");
    await box1.getByRole("button", { name: "Approve gpu for box-1" }).click();
    const status = box1.locator(`#grant-status-${ids.box1}`);
    await expect.poll(() => status.textContent(), SOON).toBe("Approved: routed on gpu, os:linux · seat limit 2.");
    await expect.poll(() => box1.locator(`#grant-pending-${ids.box1}`).count(), SOON).toBe(0);
    expect(await box1.locator('ul[aria-label="Capabilities"] li').allTextContents()).toEqual(["gpu", "os:linux"]);
    expect(await factory(ids.box1)).toMatchObject({ capabilities: ["gpu", "os:linux"], pendingCapabilities: [] });

    // A limit the API would refuse is said on the page, with no request.
    const seats = box1.getByLabel("Seat limit of box-1", { exact: true });
    await seats.fill("0");
    await page.getByRole("button", { name: "Set seat limit of box-1", exact: true }).click();
    await expect.poll(() => status.textContent(), SOON).toBe("A seat limit is a whole number from 1 to 64.");
    expect(approvals).toBe(1);
    // What is typed survives the poller's redraw of the cards (a factory list read again): the box typed in is kept.
    await seats.fill("4");
    await seats.evaluate((e) => e.setAttribute("data-before-redraw", ""));
    const setButton = `#grant-seats-set-${ids.box1}`;
    await box1.locator(setButton).evaluate((e) => e.setAttribute("data-before-redraw", ""));
    await api("POST", "/jobs", { manifest: { title: "moves the queue version" } }); // the poller reads the list again
    await expect.poll(() => box1.locator(`${setButton}[data-before-redraw]`).count(), SOON).toBe(0);
    expect(await seats.inputValue()).toBe("4");
    await seats.press("Enter");
    await expect.poll(() => status.textContent(), SOON).toBe("Seat limit set: routed on gpu, os:linux · seat limit 4.");
    await expect
      .poll(() => box1.locator(`#grant-limit-${ids.box1}`).textContent(), SOON)
      .toBe("seat limit 4 · it declares 8");
    expect((await factory(ids.box1)).seatLimit).toBe(4);
    expect(approvals).toBe(2);
    expect(errors).toEqual([]);
    await close();
  });

  it("says on the page's own line that a factory removed while its Approve was out is gone, and moves focus there", async () => {
    const { page, errors, close } = await newPage(browser);
    await signIn(page, h.url, tokens.operator, PRODUCT);
    await page.goto(`${h.url}/#/fleet`);
    const approve = card(page, "box-2").getByRole("button", { name: "Approve cuda for box-2" });
    await approve.waitFor(SOON);
    const held = await holdRequests(page, "POST", "/capabilities/approve");
    await approve.focus();
    await page.keyboard.press("Enter");
    await expect.poll(held.sent, SOON).toBe(1);
    const gone = await call(h.url, "DELETE", `${P(PRODUCT)}/factories/${ids.box2}`, ADMIN);
    expect(gone.status).toBe(200);
    held.answer();
    await expect
      .poll(() => page.locator("#fleet-status").textContent(), SOON)
      .toMatch(/^box-2: Not approved: .*\(not_found\)\. It no longer exists/);
    await expect.poll(() => card(page, "box-2").count(), SOON).toBe(0);
    expect(await page.evaluate("document.activeElement?.id")).toBe("fleet-status");

    // Revoked meanwhile: the card stays, with no grant (nothing is granted to a revoked factory), so the 409 is said
    // on the page's line too — it was written to the card's line, gone with the redraw.
    const revoke = card(page, "box-3").getByRole("button", { name: "Approve fpga for box-3" });
    const heldAgain = await holdRequests(page, "POST", "/capabilities/approve"); // the newest route is asked first
    await revoke.focus();
    await page.keyboard.press("Enter");
    await expect.poll(heldAgain.sent, SOON).toBe(1);
    expect((await call(h.url, "POST", `${P(PRODUCT)}/factories/${ids.box3}/token/revoke`, ADMIN)).status).toBe(200);
    heldAgain.answer();
    await expect
      .poll(() => page.locator("#fleet-status").textContent(), SOON)
      .toMatch(/^box-3: Not approved: .*\(conflict\)$/);
    expect(await card(page, "box-3").locator(".badge.status-revoked").count()).toBe(1);
    expect(await card(page, "box-3").locator(".grant").count()).toBe(0);
    expect(await page.evaluate("document.activeElement?.id")).toBe("fleet-status");
    expect(errors).toEqual([]);
    await close();
  });

  it("keeps a grant that is out busy when the operator leaves the page and comes back", async () => {
    const { page, errors, close } = await newPage(browser);
    await signIn(page, h.url, tokens.operator, PRODUCT);
    await page.goto(`${h.url}/#/fleet`);
    const approve = () => card(page, "box-5").getByRole("button", { name: "Approve npu for box-5" });
    await approve().waitFor(SOON);
    const held = await holdRequests(page, "POST", "/capabilities/approve");
    await approve().focus();
    await page.keyboard.press("Enter");
    await expect.poll(held.sent, SOON).toBe(1);
    await page.goto(`${h.url}/#/jobs`);
    await page.locator("table.jobs").waitFor(SOON);
    await page.goto(`${h.url}/#/fleet`);
    await approve().waitFor(SOON);
    // The new page's Approve is busy (its request is out): a press sends nothing.
    expect(await approve().getAttribute("aria-disabled")).toBe("true");
    await approve().focus();
    await page.keyboard.press("Enter");
    held.answer();
    await expect.poll(() => card(page, "box-5").locator(`#grant-pending-${ids.box5}`).count(), SOON).toBe(0);
    expect(held.sent()).toBe(1);
    expect(await factory(ids.box5)).toMatchObject({ capabilities: ["npu", "os:linux"], pendingCapabilities: [] });
    expect(errors).toEqual([]);
    await close();
  });

  it("draws an approval from its answer when the list cannot be read again", async () => {
    const { page, errors, close } = await newPage(browser);
    await signIn(page, h.url, tokens.operator, PRODUCT);
    await page.goto(`${h.url}/#/fleet`);
    const box4 = card(page, "box-4");
    const approve = box4.getByRole("button", { name: "Approve tpu for box-4" });
    await approve.waitFor(SOON);
    // From now on every read of the factory list fails.
    await page.route(
      (u) => u.pathname.endsWith("/factories"),
      (route) =>
        route.request().method() === "GET"
          ? route.fulfill({ status: 503, contentType: "application/problem+json", body: '{"title":"Down"}' })
          : route.continue(),
    );
    await approve.click();
    const status = box4.locator(`#grant-status-${ids.box4}`);
    await expect.poll(() => status.textContent(), SOON).toBe("Approved: routed on os:linux, tpu · seat limit 2.");
    expect(await box4.locator(`#grant-pending-${ids.box4}`).count()).toBe(0);
    expect(await box4.locator('ul[aria-label="Capabilities"] li').allTextContents()).toEqual(["os:linux", "tpu"]);
    expect(errors).toEqual([]);
    await close();
  });

  it("draws nothing of the poller's list read sent before an Approve and answered after the approval's read", async () => {
    const { page, errors, close } = await newPage(browser);
    // The first GET of the list while `holding` is answered by the coordinator at once and handed to the page only
    // when let go; while `failing`, every GET of the list is refused (a 503).
    const hold = { holding: false, failing: false, held: [] as Array<[Route, APIResponse]> };
    await page.route(
      (u) => u.pathname.endsWith("/factories"),
      async (route) => {
        if (route.request().method() !== "GET") return route.fallback();
        if (hold.failing)
          return route.fulfill({ status: 503, contentType: "application/problem+json", body: '{"title":"Down"}' });
        if (!hold.holding) return route.fallback();
        hold.holding = false;
        hold.held.push([route, await fetchRoute(route)]);
      },
    );
    await signIn(page, h.url, tokens.operator, PRODUCT);
    await page.goto(`${h.url}/#/fleet`);
    const box6 = card(page, "box-6");
    const approve = box6.getByRole("button", { name: "Approve dsp for box-6" });
    await approve.waitFor(SOON);
    hold.holding = true;
    await api("POST", "/jobs", { manifest: { title: "the poller reads the list again" } });
    await expect.poll(() => hold.held.length, SOON).toBe(1); // the poller's read, of the list before the Approve
    await approve.click();
    const status = box6.locator(`#grant-status-${ids.box6}`);
    await expect.poll(() => status.textContent(), SOON).toBe("Approved: routed on dsp, os:linux · seat limit 2.");
    await expect.poll(() => box6.locator(`#grant-pending-${ids.box6}`).count(), SOON).toBe(0);
    // The older read let go, then the next read of the list refused: once its failure is said, the older answer
    // reached the page before that read was sent (the poller's reads go one at a time), and was drawn, or dropped.
    for (const [route, response] of hold.held.splice(0)) await route.fulfill({ response });
    hold.failing = true;
    await api("POST", "/jobs", { manifest: { title: "the poller reads the list once more" } });
    await expect.poll(() => page.locator("#fleet-stale").isVisible(), SOON).toBe(true);
    expect(await box6.locator(`#grant-pending-${ids.box6}`).count()).toBe(0);
    expect(await approve.count()).toBe(0);
    expect(await box6.locator('ul[aria-label="Capabilities"] li').allTextContents()).toEqual(["dsp", "os:linux"]);
    expect(errors).toEqual([]);
    await close();
  });
});
