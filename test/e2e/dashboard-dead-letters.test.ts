// The dashboard's Dead letters page (#/dead-letters), in Debian Chromium against the real local server and a real
// dead letter: a webhook delivery whose receiver answered 503 on all 9 tries. An operator finds it from the nav link —
// when, source, a summary of its message, the error, the tries — and redrives it: refused (409
// dead_letter_not_redrivable) while the product has no webhook, said with the server's reason and kept; refused 503
// and 404 (stand-ins), said and the list read again; then, the webhook back, sent back for real — the receiver gets
// the delivery, the list says what a dead letter is, and focus lands on the outcome. A viewer is led to neither
// operator page (Dead letters, Enrollment: the nav links are hidden), is told so on the page typed in, and no list is
// asked for. 200 dead letters (a stand-in list, two pages) are drawn page by page; a body of 128 KB of not-JSON text
// with a right-to-left override is summed up on one bounded line, and a huge JSON one opened is drawn cut, with how
// much is not shown — on a 375 px phone the page does not scroll sideways; a refused bulk item's row offers no Redrive
// (the server always refuses it) and says why. The table says Loading… until the first
// page answers, and a read landing while the reader is on a row's message keeps focus there, and what is open open.
// A row's redrive verdict moves with the clock (a page clock run ahead): a keyed submit message passing its key's
// window while the page is open loses its Redrive, and "it is N days old" counts on, with no read of the list.
import { createServer } from "node:http";
import type { Browser, Page, Route } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium, newPage, signIn } from "./chromium.ts";
import { adminApi, type Harness, mintRoleTokens, startHarness } from "./harness.ts";

const PRODUCT = "dead-letters";
/** A server answer or a page's first draw on a busy two-core machine; never a delay. */
const SOON = { timeout: 30_000 };
const SECRET = "e2e-webhook-secret-0123456789";

type Letter = { id: string; source: string; reason: string; attempts: number; body: unknown };

describe("dashboard: the dead letters page", () => {
  let h: Harness;
  let browser: Browser;
  let hookUrl = "";
  const tokens = { viewer: "", operator: "" };
  const api = adminApi(() => h.url, PRODUCT);
  /** The receiver answers 503 (Retry-After: 0, so the 9 tries take seconds) while down, else 200. */
  let down = true;
  const received: Array<{ status: number; deliveryId: string }> = [];
  const receiver = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      received.push({ status: down ? 503 : 200, deliveryId: String(req.headers["x-gigafactory-delivery"] ?? "") });
      if (down) res.writeHead(503, { "retry-after": "0" }).end("down");
      else res.writeHead(200).end("ok");
    });
  });
  let letter: Letter;

  const letters = async () => (await api<{ items: Letter[] }>("GET", "/dead-letters")).items;

  beforeAll(async () => {
    h = await startHarness();
    Object.assign(tokens, await mintRoleTokens(h.url, PRODUCT));
    await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", r));
    hookUrl = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/hook`;
    await api("PUT", "/webhook", { url: hookUrl, secret: SECRET });
    await api("POST", "/jobs", { manifest: { title: "Heard by nobody" } });
    // The delivery's 9 tries, each refused: kept as a dead letter on the last (worker/queues/webhooks).
    for (const deadline = Date.now() + 90_000; (await letters()).length === 0; ) {
      if (Date.now() > deadline) throw new Error("no dead letter after 90 s: did the receiver get the tries?");
      await new Promise((r) => setTimeout(r, 500)); // a poll's pace, not a wait for an outcome
    }
    [letter] = (await letters()) as [Letter];
    expect(letter).toMatchObject({ source: "queue:webhook", attempts: 9 });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await h?.close();
    await new Promise((r) => receiver.close(r));
  });

  const row = (page: Page) => page.locator(`tr[data-dead-letter-id="${letter.id}"]`);
  const status = (page: Page) => page.locator("#dead-letters-status");

  it("leads a viewer to neither operator page, and asks for no list on the one typed in", async () => {
    const { page, errors, close } = await newPage(browser);
    const reads: string[] = [];
    page.on("request", (r) => {
      if (new URL(r.url()).pathname.endsWith("/dead-letters")) reads.push(r.method());
    });
    await signIn(page, h.url, tokens.viewer, PRODUCT);
    await expect.poll(() => page.locator("#role-marker").textContent(), SOON).toBe("read-only (viewer token)");
    const nav = page.getByRole("navigation", { name: "Main" });
    await nav.getByRole("link", { name: "Jobs" }).waitFor(SOON);
    expect(await nav.getByRole("link", { name: "Dead letters" }).isVisible()).toBe(false);
    expect(await nav.getByRole("link", { name: "Enrollment" }).isVisible()).toBe(false);
    await page.goto(`${h.url}/#/dead-letters`);
    await expect
      .poll(() => page.locator("#dead-letters-refused").textContent(), SOON)
      .toMatch(/^Dead letters are for operators/);
    expect(await page.locator("#dead-letters-table").isVisible()).toBe(false);
    expect(await page.locator('[data-testid="dead-letter-redrive"]').count()).toBe(0);
    // The enrollment page keeps its own words for a viewer who types its hash.
    await page.goto(`${h.url}/#/enrollment`);
    await expect.poll(() => page.locator("#codes-refused").textContent(), SOON).toMatch(/^Enrollment codes are for/);
    expect(reads).toEqual([]);
    expect(errors).toEqual([]);
    await close();
  });

  it("shows an operator the dead letter, and says each refusal of its redrive — kept, the list read again", async () => {
    const { page, errors, close } = await newPage(browser);
    let listReads = 0;
    page.on("request", (r) => {
      if (r.method() === "GET" && new URL(r.url()).pathname.endsWith("/dead-letters")) listReads++;
    });
    await signIn(page, h.url, tokens.operator, PRODUCT);
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Dead letters" }).click();
    await row(page).waitFor(SOON);
    const cells = await row(page).locator("td").allTextContents();
    expect(cells[1]).toBe("queue:webhook");
    expect(cells[2]).toBe("—"); // its reason names no code
    expect(cells[3]).toMatch(/^webhook: job\.submitted \(delivery dlv_\w+\)/);
    expect(cells[4]).toMatch(/^webhook delivery failed on all 9 attempts; the last: .*answered 503/);
    expect(cells[5]).toBe("9");
    expect(await page.locator("#dead-letters-title").textContent()).toBe("Dead letters");

    // No webhook now: the server refuses (it would be dropped unsent), and the page says why; the letter stays.
    await api("DELETE", "/webhook");
    await row(page)
      .getByRole("button", { name: `Redrive ${letter.id}` })
      .click();
    await expect
      .poll(() => status(page).textContent(), SOON)
      .toMatch(/^Not redriven .*\(dead_letter_not_redrivable\)\. It stays listed/);
    expect(await status(page).textContent()).toContain("set one (PUT …/webhook)");
    expect(await row(page).count()).toBe(1);

    // A 503 (no answer to trust: it may have been sent) and a 404 (gone meanwhile) re-read the list.
    const redrives = (u: URL) => u.pathname.endsWith("/redrive");
    for (const [code, httpStatus, said] of [
      ["unavailable", 503, /Try again in a moment\.$/],
      ["not_found", 404, /It is no longer a dead letter/],
    ] as const) {
      await page.route(redrives, (route: Route) =>
        route.fulfill({
          status: httpStatus,
          headers: { "content-type": "application/problem+json" },
          body: JSON.stringify({ type: "about:blank", title: "Refused", detail: `stand-in ${code}`, code }),
        }),
      );
      const before = listReads;
      await row(page)
        .getByRole("button", { name: `Redrive ${letter.id}` })
        .click();
      await expect.poll(() => status(page).textContent(), SOON).toMatch(said);
      expect(await status(page).textContent()).toMatch(
        new RegExp(`^Not redriven ${letter.id}: Refused — stand-in ${code}`),
      );
      await expect.poll(() => listReads, SOON).toBeGreaterThan(before);
      await page.unroute(redrives);
    }
    // A 503 that names its wait holds reads back for it: the list's re-read fails at once, and must not replace
    // why the redrive was refused ("Cannot load dead letters" did) — the line keeps the redrive's answer.
    await page.route(redrives, (route: Route) =>
      route.fulfill({
        status: 503,
        headers: { "content-type": "application/problem+json", "retry-after": "5" },
        body: JSON.stringify({ type: "about:blank", title: "Refused", detail: "stand-in", code: "unavailable" }),
      }),
    );
    const button = row(page).getByRole("button", { name: `Redrive ${letter.id}` });
    await button.click();
    await expect.poll(() => status(page).textContent(), SOON).toMatch(/Try again in [1-5] s\.$/);
    await expect.poll(() => button.isEnabled(), SOON).toBe(true); // the re-read is over
    expect(await status(page).textContent()).toMatch(
      /^Not redriven [\w-]+: Refused — stand-in \(unavailable\)\. Try again in [1-5] s\.$/,
    );
    expect(errors).toEqual([]);
    await close();
  });

  it("sends it back for real once the webhook is set again: the receiver gets it, the list is empty, focus on the outcome", async () => {
    down = false;
    await api("PUT", "/webhook", { url: hookUrl, secret: SECRET });
    const deliveryId = (letter.body as { body: { deliveryId: string } }).body.deliveryId;
    const { page, errors, close } = await newPage(browser);
    await signIn(page, h.url, tokens.operator, PRODUCT);
    await page.goto(`${h.url}/#/dead-letters`);
    const redrive = row(page).getByRole("button", { name: `Redrive ${letter.id}` });
    await redrive.waitFor(SOON);
    // The list's re-read after the redrive is held: focus must be on the outcome while it is out (it was on nothing,
    // the body, until the read came back — seen once on a loaded CI run).
    let release = () => {};
    const held = new Promise<void>((r) => {
      release = r;
    });
    await page.route(
      (u) => u.pathname.endsWith("/dead-letters"),
      async (route: Route) => {
        await held;
        await route.continue();
      },
    );
    await redrive.focus();
    await page.keyboard.press("Enter");
    await expect
      .poll(() => status(page).textContent(), SOON)
      .toBe(`Redriven ${letter.id}: sent back to the webhook queue, and no longer a dead letter.`);
    await expect
      .poll(() => page.locator("#dead-letters-empty").textContent(), SOON)
      .toMatch(/^No dead letters\. A dead letter is a message or record the coordinator could not deliver/);
    expect(await page.evaluate("document.activeElement?.id")).toBe("dead-letters-status");
    release();
    await page.unrouteAll({ behavior: "wait" });
    await expect.poll(() => page.evaluate("document.activeElement?.id"), SOON).toBe("dead-letters-status");
    await expect.poll(() => received.some((r) => r.status === 200 && r.deliveryId === deliveryId), SOON).toBe(true);
    expect(await letters()).toEqual([]);
    expect(errors).toEqual([]);
    await close();
  });

  it("draws 200 dead letters page by page, a huge or not-JSON body bounded, on a phone without sideways scroll", async () => {
    const { page, errors, close } = await newPage(browser, 375);
    // A stand-in list (the real one is empty now): two pages of 100, as the API pages them.
    const huge = { kind: "submit", items: [{ manifest: { title: "x".repeat(90_000) }, bodyMd: "" }] };
    const item = (i: number): Letter & { productId: string; at: number } => ({
      id: `dl-${String(i).padStart(3, "0")}`,
      productId: PRODUCT,
      source: i === 0 ? "queue:history" : "batch:b1",
      reason: i === 0 ? "not JSON" : `conflict: key taken ${"y".repeat(900)}`,
      attempts: 5,
      at: Date.now() - i * 1000,
      body: i === 0 ? `<html>\u202Egateway ${"z".repeat(128_000)}` : i === 1 ? huge : { manifest: { title: `t${i}` } },
    });
    /** While set, a list read waits for it: what the page shows meanwhile, and what a read landing then keeps. */
    let gate: Promise<void> | undefined;
    let open = () => {};
    const hold = () => {
      gate = new Promise<void>((r) => {
        open = () => {
          gate = undefined;
          r();
        };
      });
    };
    hold();
    await page.route(
      (u) => u.pathname.endsWith("/dead-letters"),
      async (route: Route) => {
        await gate;
        const second = new URL(route.request().url()).searchParams.get("cursor") === "p2";
        const items = Array.from({ length: 100 }, (_, i) => item(second ? i + 100 : i));
        const body = { items, ...(second ? {} : { nextCursor: "p2" }) };
        return route.fulfill({ status: 200, contentType: "application/json", body: JSON.stringify(body) });
      },
    );
    await signIn(page, h.url, tokens.operator, PRODUCT);
    await page.goto(`${h.url}/#/dead-letters`);
    // Before the first page answers it says so: an empty table read as "no dead letters".
    await expect.poll(() => page.locator("#dead-letters-rows").textContent(), SOON).toBe("Loading…");
    open();
    const rows = page.locator('[data-testid="dead-letter-row"]');
    await expect.poll(() => rows.count(), SOON).toBe(100);
    await page.locator("#dead-letters-more").click();
    await expect.poll(() => rows.count(), SOON).toBe(200);
    expect(await page.locator("#dead-letters-more").isVisible()).toBe(false);
    const first = page.locator('tr[data-dead-letter-id="dl-000"]');
    // Redrive only where it can work: a history message may go back; a bulk item the coordinator refused itself
    // never can, and its row says why instead of offering a button the server always refuses.
    expect(await first.locator('[data-testid="dead-letter-redrive"]').count()).toBe(1);
    const refusedItem = page.locator('tr[data-dead-letter-id="dl-002"]');
    expect(await refusedItem.locator('[data-testid="dead-letter-redrive"]').count()).toBe(0);
    expect(await refusedItem.locator('[data-testid="dead-letter-no-redrive"]').textContent()).toMatch(
      /^Cannot be redriven: the coordinator refused this item itself/,
    );
    const summary = (await first.locator("summary").textContent()) ?? "";
    expect(summary.startsWith("\u2068not JSON: <html>")).toBe(true); // isolated: the override ends inside it
    expect([...new Intl.Segmenter().segment(summary)].length).toBeLessThanOrEqual(202);
    const second = page.locator('tr[data-dead-letter-id="dl-001"]');
    expect(await second.locator("summary").textContent()).toMatch(/^submit: 1 job — job “x+…”$/);
    await second.locator("summary").click();
    // Drawn on the details' `toggle` event, which fires after the click: read once it has.
    const message = () => second.locator("pre").textContent();
    await expect.poll(message, SOON).toMatch(/\n… [\d,]+ more characters not shown$/);
    const shown = (await message()) ?? "";
    expect(shown.length).toBeLessThan(20_100);
    // A read landing while the reader is on a row's message keeps focus there (it jumped to the row's Redrive), and
    // what was opened stays open.
    hold();
    await page.locator("#dead-letters-refresh").click();
    await page.locator('tr[data-dead-letter-id="dl-005"] summary').focus();
    open();
    // Busy is `aria-disabled` (busy.js), which isEnabled does not read: it passed before the read had drawn.
    await expect.poll(() => page.locator("#dead-letters-refresh").getAttribute("aria-disabled"), SOON).toBe(null);
    expect(await page.evaluate("document.activeElement?.dataset.focusKey")).toBe("message:dl-005");
    expect(await second.locator("details").getAttribute("open")).toBe("");
    expect(await second.locator("pre").textContent()).toBe(shown);
    expect(await page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")).toBe(0);
    expect(await page.locator("#dead-letters-status").textContent()).toBe("");
    expect(errors).toEqual([]);
    await close();
  });

  it("moves a row's redrive verdict with the clock, with no read of its own", async () => {
    const { page, errors, close } = await newPage(browser);
    const DAY = 86_400_000;
    const start = Date.now();
    await page.clock.install({ time: start });
    // A stand-in list: a submit message 5½ days old, its item keyed — redrivable until the key's 7 days (less a
    // day's margin) are up, half a day on.
    const at = start - 5.5 * DAY;
    let reads = 0;
    await page.route(
      (u) => u.pathname.endsWith("/dead-letters"),
      (route: Route) => {
        reads++;
        const items = [
          {
            id: "dl-old",
            productId: PRODUCT,
            source: "queue:submit",
            reason: "d1 down",
            attempts: 5,
            at,
            body: { items: [{ manifest: { title: "keyed", idempotencyKey: "k-1" } }] },
          },
        ];
        return route.fulfill({ status: 200, contentType: "application/json", body: JSON.stringify({ items }) });
      },
    );
    await signIn(page, h.url, tokens.operator, PRODUCT);
    await page.goto(`${h.url}/#/dead-letters`);
    const row = page.locator('tr[data-dead-letter-id="dl-old"]');
    await row.locator('[data-testid="dead-letter-redrive"]').waitFor(SOON);
    const read = reads;
    // A day on: past the window. The poller's next tick judges the row again — no Redrive, and why.
    await page.clock.fastForward(DAY);
    const why = row.locator('[data-testid="dead-letter-no-redrive"]');
    await expect.poll(() => why.count(), SOON).toBe(1);
    expect(await why.textContent()).toMatch(/^Cannot be redriven: it is 6 days old, and an idempotency key dedupes/);
    expect(await row.locator('[data-testid="dead-letter-redrive"]').count()).toBe(0);
    // Another day: the count moves with it.
    await page.clock.fastForward(DAY);
    await expect.poll(() => why.textContent(), SOON).toMatch(/^Cannot be redriven: it is 7 days old/);
    expect(reads).toBe(read); // moved by the clock, not by a read of the list
    expect(errors).toEqual([]);
    await close();
  });
});
