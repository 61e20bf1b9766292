// The Fleet page says a factory whose socket closed is disconnected, in Debian Chromium against the real local server
// with a factory on a real WebSocket: killed like a crashed host (no close frame), its card says "disconnected …" at
// the poller's next read — beside "health ok", which follows heartbeats — with words a screen reader gets, and the
// Fleet line counts it; reconnected, the card says it no more. Before, the card read "health ok" alone until the
// beats lapsed (30 s and more). The header's health badge and seats tile count it (GET …/health, …/metrics
// `disconnected`), and say it no more once it is back. The poller's reads are reached by running the page's clock on,
// not waited for. A job it holds says so too, on the board's row and the job's page: its holder "disconnected" beside
// its name — they read as if all was well until the lease ran out (a newcomer, after a kill -9 of an agent).
import { describe, expect, it } from "vitest";
import { WsFactory } from "../support/ws-factory.ts";
import { dashboardSuite, onClock, signedInPage, untilFleetRedrawn } from "./dashboard-session.ts";
import { ADMIN, adminApi } from "./harness.ts";
import { boxesAtOnce } from "./layout-boxes.ts";

const PRODUCT = "fleet-link";
/** A server answer or a page's draw on a busy two-core machine; never a delay. */
const SOON = { timeout: 30_000 };

describe("dashboard: a factory whose socket closed", () => {
  const suite = dashboardSuite(PRODUCT, { createProduct: true });
  const api = adminApi(() => suite.h.url, PRODUCT);
  const connected = async (id: string) => (await api<{ connected: boolean }>("GET", `/factories/${id}`)).connected;

  it("says disconnected beside its heartbeat health at once, and no more once it reconnects", async () => {
    const enrolled = await api<{ factoryId: string; token: string }>("POST", "/factories/enroll", { name: "crashy" });
    const host = await WsFactory.connect(suite.h.url, PRODUCT, enrolled.token);
    const { page, errors, close } = await signedInPage(suite, ADMIN, PRODUCT, { route: (p) => p.clock.install() });
    await page.getByRole("link", { name: "Fleet", exact: true }).click();
    const card = page.locator('li[data-factory="crashy"]');
    const badge = card.getByTestId("link-down");
    await card.waitFor(SOON);
    expect(await card.locator(".health").textContent()).toContain("health ok");
    expect(await badge.count()).toBe(0);

    // A beat just before the kill: "health ok" beside "disconnected" lasts 30 s of silence (core/health: degraded from
    // two beat intervals) counted from the kill, not from a beat up to 15 s older (a slow sign-in read `degraded`).
    await host.acked({ type: "heartbeat" });
    host.kill(); // no close frame: the TCP connection just goes
    await expect.poll(() => connected(enrolled.factoryId), SOON).toBe(false);
    await untilFleetRedrawn(page, async () => (await badge.count()) === 1);
    // Its words, the screen reader's too (the .sr-only part): what it means, not only a colour or a dashed edge.
    expect(await badge.textContent()).toMatch(
      /^disconnected (just now|\d+ s ago|\d+ min ago): no live link to the coordinator$/,
    );
    expect(await badge.getAttribute("title")).toMatch(/^No live link to the coordinator since .+: no work is pushed/);
    expect(await card.locator(".health").textContent()).toContain("health ok");
    expect(await card.getAttribute("class")).toContain("link-down");
    expect(await page.locator("#fleet-summary").textContent()).toMatch(/ · 1 disconnected$/);
    // The header says it too (GET …/health's and the metrics' `disconnected` counts): the badge's words, and the
    // seats tile's label, beside its seat still counted (health ok for ~30 s) — read at their next poll, the clock run on.
    const header = page.locator("#health-badge");
    await expect
      .poll(
        onClock(page, 16_000, async () => header.textContent()),
        SOON,
      )
      .toMatch(/ · 1 disconnected$/);
    expect(await header.getAttribute("title")).toContain("(1 of these disconnected: no live link");
    const seatsTile = page.locator("#tiles .tile", { hasText: "seats busy" });
    await expect
      .poll(
        onClock(page, 31_000, async () => seatsTile.textContent()),
        SOON,
      )
      .toMatch(/1 disconnected$/);
    expect(await seatsTile.locator(".tile-value").textContent()).toBe("0/1");
    // Inside its card: the health line wraps rather than push the badge past the card's edge (it stuck out ~15 px).
    const cardSel = 'li[data-factory="crashy"]';
    const [b, c] = await boxesAtOnce(page, [`${cardSel} [data-testid="link-down"]`, cardSel]);
    if (!b || !c) throw new Error("boxesAtOnce answers one box per selector");
    expect(b.x + b.width, "the badge's right edge within the card's").toBeLessThanOrEqual(c.x + c.width);

    const again = await WsFactory.connect(suite.h.url, PRODUCT, enrolled.token);
    await untilFleetRedrawn(page, async () => (await badge.count()) === 0);
    expect(await page.locator("#fleet-summary").textContent()).not.toContain("disconnected");
    await expect
      .poll(
        onClock(page, 16_000, async () => header.textContent()),
        SOON,
      )
      .not.toContain("disconnected");
    expect(errors).toEqual([]);
    again.close();
    await close();
  });

  it("says a job's holder is disconnected on the board's row and the job's page", async () => {
    const enrolled = await api<{ factoryId: string; token: string }>("POST", "/factories/enroll", { name: "holder" });
    const host = await WsFactory.connect(suite.h.url, PRODUCT, enrolled.token, { autoComplete: false });
    // An hour's lease: the job stays held by the killed host for as long as the test looks.
    const manifest = { title: "Held by a dead host", leaseTtlSeconds: 3600 };
    const { id } = await api<{ id: string }>("POST", "/jobs", { manifest, bodyMd: "x\n" });
    await host.assignmentOf(id);
    const { page, errors, close } = await signedInPage(suite, ADMIN, PRODUCT, { route: (p) => p.clock.install() });
    const cell = page.locator(`tr[data-job="${id}"] td`).nth(4);
    await expect.poll(() => cell.textContent(), SOON).toBe("holder");

    host.kill();
    await expect.poll(() => connected(enrolled.factoryId), SOON).toBe(false);
    const badge = cell.getByTestId("link-down");
    await untilFleetRedrawn(page, async () => (await badge.count()) === 1);
    expect(await cell.textContent()).toMatch(/^holder disconnected (just now|\d+ s ago): no live link/);

    await page.locator(`tr[data-job="${id}"] a`).click();
    const holder = page.locator('[data-fact="holder"] dd');
    await expect.poll(() => holder.textContent(), SOON).toMatch(/^holder · lease until .+ disconnected /);
    expect(errors).toEqual([]);
    await close();
  });
});
