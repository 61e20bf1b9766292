// The settings page's token prices editor in a real browser (Debian Chromium, playwright-core) against the real local
// server: an operator adds an engine's price, changes a rate and removes the price, and after each the coordinator's
// GET …/settings holds it and the table shows the server's answer (1.250 typed reads 1.25); a viewer sees the rates and
// no editor; a rate or an engine name the API would refuse (-1, __proto__) is refused at its box and sends nothing; a
// value the server refuses (a 65th engine) shows the server's detail and changes nothing; a later read draws prices
// changed elsewhere and keeps the rates the reader edited, the box being typed in untouched; a Save sends only the rates
// edited (another operator's change of the other rate survives), nothing when none is; Enter in a rate box saves; an Add
// of an engine priced already is refused at its box; Remove asks first; a form Save's answer coming after a price's Save
// sent later does not draw the old price back; a price's "Saved" stays while its engine is as saved (another engine's
// change does not take it away), "changed elsewhere" until a read finds nothing new; a read sent before a price's
// Save and answered after it is dropped (it drew the replaced table back, "changed elsewhere"). No page error or CSP violation on the way.
import type { APIResponse, Page, Route } from "playwright-core";
import { afterEach, describe, expect, it } from "vitest";
import { fetchRoute } from "./chromium.ts";
import { dashboardSuite, hasFocus, onClock, signedInPage } from "./dashboard-session.ts";
import { ADMIN, call, P } from "./harness.ts";

const PRODUCT = "dash-prices";
/** A server answer or a page's draw on a busy two-core machine; never a delay. */
const SOON = { timeout: 20_000 };

type Prices = Record<string, { usdPerMillionIn: number; usdPerMillionOut: number }>;

describe("the settings page's prices editor", () => {
  const suite = dashboardSuite(PRODUCT, { createProduct: true, tokens: true });

  const prices = async () =>
    ((await call<{ prices: Prices }>(suite.h.url, "GET", `${P(PRODUCT)}/settings`, ADMIN)).body as { prices: Prices })
      .prices;
  const patch = async (body: unknown) => {
    const r = await call(suite.h.url, "PATCH", `${P(PRODUCT)}/settings`, ADMIN, body);
    expect(r.status).toBe(200);
  };

  // Every test starts with no price: reset after each, also one that failed half way (its prices left the next one's
  // table other than it expects, and one failure read as many).
  afterEach(async () => {
    const left = Object.keys(await prices());
    if (left.length > 0) await patch({ prices: Object.fromEntries(left.map((e) => [e, null])) });
  });

  /** Signed in with `token`, on the settings page once its first read is drawn; `clock`: the page's clock installed. */
  async function open(token: string, clock = false) {
    const opened = await signedInPage(suite, token, PRODUCT, {
      route: async (p) => {
        if (clock) await p.clock.install(); // the page's next read reached by running its clock on (onClock)
      },
    });
    const { page, errors } = opened;
    page.on("console", (m) => {
      if (/Content.Security.Policy/i.test(m.text())) errors.push(m.text());
    });
    await page.goto(`${suite.h.url}/#/settings`);
    await page.locator("#prices-table tbody tr").first().waitFor(SOON);
    return opened;
  }

  const status = (page: Page) => page.locator("#prices-status").textContent();
  /** PATCHes of the settings the page sends from now on. */
  const patchesSent = (page: Page) => {
    let n = 0;
    page.on("request", (r) => {
      if (r.method() === "PATCH" && new URL(r.url()).pathname.endsWith("/settings")) n++;
    });
    return () => n;
  };

  it("lets an operator add a price, change a rate and remove it; each shows the server's answer", async () => {
    const { page, errors, close } = await open(suite.tokens.operator);
    await page.locator("#price-new-engine").fill("codex");
    await page.locator("#price-new-in").fill("1.250");
    await page.locator("#price-new-out").fill("10");
    await page.getByRole("button", { name: "Add price" }).click();
    await expect.poll(() => status(page), SOON).toBe("Saved: codex at $1.25 read, $10.00 written per million tokens.");
    expect(await prices()).toEqual({ codex: { usdPerMillionIn: 1.25, usdPerMillionOut: 10 } });
    const read = page.getByLabel("codex: USD per million read");
    const written = page.getByLabel("codex: USD per million written");
    expect(await read.inputValue()).toBe("1.25"); // the answer's, not the "1.250" typed
    expect(await page.locator("#price-new-engine").inputValue()).toBe("");

    await written.fill("12.5");
    await page.getByRole("button", { name: "Save the codex price" }).click();
    await expect.poll(() => status(page), SOON).toBe("Saved: codex at $1.25 read, $12.50 written per million tokens.");
    expect(await prices()).toEqual({ codex: { usdPerMillionIn: 1.25, usdPerMillionOut: 12.5 } });

    // Remove asks first (the engine's tokens go unpriced for USD budgets): declined, nothing is sent.
    const sent = patchesSent(page);
    page.removeAllListeners("dialog"); // the session's page accepts every dialog (dashboard-session.ts): this one answers
    page.once("dialog", (d) => void d.dismiss());
    await page.getByRole("button", { name: "Remove the codex price" }).click();
    await expect.poll(() => status(page), SOON).toBe("Kept the price of codex.");
    expect(sent()).toBe(0);
    page.once("dialog", (d) => void d.accept());
    await page.getByRole("button", { name: "Remove the codex price" }).click();
    await expect.poll(() => status(page), SOON).toBe("Removed the price of codex: its tokens stay unpriced.");
    expect(await prices()).toEqual({});
    expect(await page.locator("#prices-table tbody").textContent()).toMatch(/^No engine is priced/);
    expect(await hasFocus(page.locator("#price-new-engine"))).toBe(true); // its row gone: not lost to the page's top
    expect(errors).toEqual([]);
    await close();
  });

  it("shows a viewer the prices as text, with no box or button to change them", async () => {
    await patch({ prices: { "*": { usdPerMillionIn: 0.5, usdPerMillionOut: 2 } } });
    const { page, errors, close } = await open(suite.tokens.viewer);
    await expect.poll(() => page.locator("html").getAttribute("data-role"), SOON).toBe("viewer");
    const row = page.locator('#prices-table tr[data-engine="*"]');
    await expect.poll(() => row.textContent(), SOON).toBe("* (default engine)0.52");
    expect(await page.locator("#prices input, #prices button").count()).toBe(0);
    expect(await page.locator("#prices").textContent()).toContain("Read-only: changing them needs an operator token.");
    expect(errors).toEqual([]);
    await close();
  });

  it("refuses at its box a rate or a name the API would refuse, and sends nothing", async () => {
    const { page, errors, close } = await open(suite.tokens.operator);
    const sent = patchesSent(page);
    const engine = page.locator("#price-new-engine");
    await engine.fill("__proto__");
    await page.locator("#price-new-in").fill("1");
    await page.locator("#price-new-out").fill("1");
    await page.getByRole("button", { name: "Add price" }).click();
    await expect.poll(() => status(page), SOON).toBe("Engine: __proto__ is no engine name.");
    expect(await engine.getAttribute("aria-invalid")).toBe("true");
    await engine.fill("codex");
    await page.locator("#price-new-out").fill("-1");
    await page.getByRole("button", { name: "Add price" }).click();
    await expect
      .poll(() => status(page), SOON)
      .toBe("USD per million written: enter USD per million tokens from 0 to 10,000.");
    expect(await page.locator("#price-new-out").getAttribute("aria-invalid")).toBe("true");
    expect(sent()).toBe(0);
    expect(await prices()).toEqual({});
    expect(errors).toEqual([]);
    await close();
  });

  // Add of an engine priced already replaced both its rates, and its row's open edit was drawn over by the answer.
  it("refuses at the engine box an Add of an engine priced already; Enter in a rate box saves its row", async () => {
    await patch({ prices: { codex: { usdPerMillionIn: 1, usdPerMillionOut: 2 } } });
    const { page, errors, close } = await open(suite.tokens.operator);
    const sent = patchesSent(page);
    const read = page.getByLabel("codex: USD per million read");
    await read.fill("1.5"); // an edit in codex's row, open
    const engine = page.locator("#price-new-engine");
    await engine.fill("codex");
    await page.locator("#price-new-in").fill("5");
    await page.locator("#price-new-out").fill("6");
    await page.getByRole("button", { name: "Add price" }).click();
    await expect.poll(() => status(page), SOON).toBe("Engine: codex is priced already: change its row.");
    expect(await engine.getAttribute("aria-invalid")).toBe("true");
    expect(sent()).toBe(0);
    expect(await read.inputValue()).toBe("1.5");
    await read.press("Enter");
    await expect.poll(() => status(page), SOON).toBe("Saved: codex at $1.50 read, $2.00 written per million tokens.");
    expect((await prices()).codex).toEqual({ usdPerMillionIn: 1.5, usdPerMillionOut: 2 });
    expect(errors).toEqual([]);
    await close();
  });

  it("shows the server's refusal of a 65th engine and changes nothing", async () => {
    const many: Prices = {};
    for (let i = 0; i < 64; i++) many[`e${i}`] = { usdPerMillionIn: 1, usdPerMillionOut: 2 };
    await patch({ prices: many });
    const { page, errors, close } = await open(suite.tokens.operator);
    await page.locator("#price-new-engine").fill("one-more");
    await page.locator("#price-new-in").fill("1");
    await page.locator("#price-new-out").fill("2");
    await page.getByRole("button", { name: "Add price" }).click();
    await expect.poll(() => status(page), SOON).toMatch(/^Not saved: .*prices would hold 65 engines: at most 64/);
    expect(Object.keys(await prices())).toHaveLength(64);
    expect(await page.locator("#prices-table tbody tr").count()).toBe(64);
    expect(errors).toEqual([]);
    await close();
  });

  it("draws prices changed elsewhere on a later read, keeping the rates being edited", async () => {
    await patch({
      prices: {
        codex: { usdPerMillionIn: 1, usdPerMillionOut: 2 },
        claude: { usdPerMillionIn: 3, usdPerMillionOut: 15 },
      },
    });
    const { page, errors, close } = await open(suite.tokens.operator, true);
    const codexRead = page.getByLabel("codex: USD per million read");
    await expect.poll(() => codexRead.inputValue(), SOON).toBe("1");
    const claudeRead = page.getByLabel("claude: USD per million read");
    await claudeRead.fill("3.5"); // an edit in another row, left
    await codexRead.fill("1.5"); // the reader's edit, focus still in the box
    await patch({
      prices: {
        claude: { usdPerMillionOut: 16 },
        codex: { usdPerMillionOut: 4 },
        gemini: { usdPerMillionIn: 0.3, usdPerMillionOut: 2.5 },
      },
    });
    const elsewhere = page.locator("#prices-elsewhere");
    await expect
      .poll(
        onClock(page, 5_000, () => elsewhere.textContent()),
        SOON,
      )
      .toMatch(/^Prices changed elsewhere/);
    expect(await page.getByLabel("claude: USD per million written").inputValue()).toBe("16");
    expect(await page.getByLabel("gemini: USD per million read").inputValue()).toBe("0.3");
    expect(await page.getByLabel("codex: USD per million written").inputValue()).toBe("4");
    expect(await codexRead.inputValue()).toBe("1.5");
    expect(await claudeRead.inputValue()).toBe("3.5");
    // Save sends the edit: the others' values stay.
    await page.getByRole("button", { name: "Save the codex price" }).click();
    await expect.poll(() => status(page), SOON).toBe("Saved: codex at $1.50 read, $4.00 written per million tokens.");
    expect((await prices()).codex).toEqual({ usdPerMillionIn: 1.5, usdPerMillionOut: 4 });
    expect(await elsewhere.textContent()).toBe("");
    expect(errors).toEqual([]);
    await close();
  });

  // PATCH merges rate by rate (core/prices): a Save that sent both rates of its row put back the one another operator
  // changed since the page drew it, unseen (the page had not re-read yet).
  it("sends only the rates edited: another operator's change of the other rate survives a Save before the re-read", async () => {
    await patch({ prices: { codex: { usdPerMillionIn: 1, usdPerMillionOut: 2 } } });
    const { page, errors, close } = await open(suite.tokens.operator, true);
    const sent = patchesSent(page);
    const read = page.getByLabel("codex: USD per million read");
    await expect.poll(() => read.inputValue(), SOON).toBe("1");
    await page.getByRole("button", { name: "Save the codex price" }).click();
    await expect.poll(() => status(page), SOON).toBe("Nothing changed.");
    expect(sent()).toBe(0);
    await patch({ prices: { codex: { usdPerMillionOut: 4 } } }); // another operator, before this page's next read
    await read.fill("1.5");
    await page.getByRole("button", { name: "Save the codex price" }).click();
    await expect.poll(() => status(page), SOON).toBe("Saved: codex at $1.50 read, $4.00 written per million tokens.");
    expect((await prices()).codex).toEqual({ usdPerMillionIn: 1.5, usdPerMillionOut: 4 });
    expect(await page.getByLabel("codex: USD per million written").inputValue()).toBe("4");
    expect(sent()).toBe(1);
    expect(errors).toEqual([]);
    await close();
  });

  // The form's answer drew its `prices` too: a form Save answered after a price's Save sent later put the old price
  // back in the table, and said it had "changed elsewhere".
  it("keeps a price saved after the form's Save was sent, when the form's answer comes last", async () => {
    await patch({ prices: { codex: { usdPerMillionIn: 1, usdPerMillionOut: 2 } } });
    const { page, errors, close } = await open(suite.tokens.operator, true);
    const preemption = (await call<{ preemption: boolean }>(suite.h.url, "GET", `${P(PRODUCT)}/settings`, ADMIN))
      .body as { preemption: boolean };
    // The form's PATCH reaches the coordinator at once; its answer is handed to the page when let go.
    const held: Array<[Route, APIResponse]> = [];
    await page.route(
      (u) => u.pathname.endsWith("/settings"),
      async (route) => {
        const r = route.request();
        if (r.method() !== "PATCH" || (r.postData() ?? "").includes('"prices"')) return route.continue();
        held.push([route, await fetchRoute(route)]);
      },
    );
    const written = page.getByLabel("codex: USD per million written");
    await expect.poll(() => written.inputValue(), SOON).toBe("2");
    await page.locator("#setting-preemption").setChecked(!preemption.preemption);
    await page.locator("#settings-save").click();
    await expect.poll(() => held.length, SOON).toBe(1);
    await written.fill("3");
    await page.getByRole("button", { name: "Save the codex price" }).click();
    await expect.poll(() => status(page), SOON).toBe("Saved: codex at $1.00 read, $3.00 written per million tokens.");
    for (const [route, response] of held.splice(0)) await route.fulfill({ response });
    await expect.poll(() => page.locator("#settings-status").textContent(), SOON).toMatch(/^Saved: preemption/);
    expect(await written.inputValue()).toBe("3");
    expect(await page.locator("#prices-elsewhere").textContent()).toBe("");
    expect(await status(page)).toBe("Saved: codex at $1.00 read, $3.00 written per million tokens.");
    expect(errors).toEqual([]);
    await close();
    await patch({ preemption: preemption.preemption });
  });

  // "Saved: codex at …" was held against the whole table: a change to another engine elsewhere took it away, though
  // codex was still as saved; and "Prices changed elsewhere" stayed on at every read after, none of them a change.
  it("keeps a price's Saved while its engine is as saved; says a change elsewhere until a read finds no other", async () => {
    await patch({
      prices: {
        codex: { usdPerMillionIn: 1, usdPerMillionOut: 2 },
        claude: { usdPerMillionIn: 3, usdPerMillionOut: 15 },
      },
    });
    const { page, errors, close } = await open(suite.tokens.operator, true);
    const written = page.getByLabel("codex: USD per million written");
    await expect.poll(() => written.inputValue(), SOON).toBe("2");
    await written.fill("3");
    await page.getByRole("button", { name: "Save the codex price" }).click();
    const saved = "Saved: codex at $1.00 read, $3.00 written per million tokens.";
    await expect.poll(() => status(page), SOON).toBe(saved);
    await patch({ prices: { claude: { usdPerMillionOut: 16 } } }); // another engine, changed elsewhere
    const elsewhere = page.locator("#prices-elsewhere");
    await expect
      .poll(
        onClock(page, 5_000, () => elsewhere.textContent()),
        SOON,
      )
      .toMatch(/^Prices changed elsewhere/);
    expect(await page.getByLabel("claude: USD per million written").inputValue()).toBe("16");
    expect(await status(page)).toBe(saved);
    // The next read finds nothing changed since: the news is over.
    await expect
      .poll(
        onClock(page, 5_000, () => elsewhere.textContent()),
        SOON,
      )
      .toBe("");
    expect(await status(page)).toBe(saved);
    await patch({ prices: { codex: { usdPerMillionIn: 2 } } }); // codex itself changed elsewhere: Saved is over
    await expect
      .poll(
        onClock(page, 5_000, () => status(page)),
        SOON,
      )
      .toBe("");
    expect(errors).toEqual([]);
    await close();
  });

  it("drops a read sent before a price's Save that answers after it", async () => {
    await patch({ prices: { codex: { usdPerMillionIn: 1, usdPerMillionOut: 2 } } });
    // While `holding`, a read of the settings is answered by the coordinator at once and handed to the page when let go.
    let holding = false;
    const held: Array<[Route, APIResponse]> = [];
    const { page, errors, close } = await open(suite.tokens.operator, true);
    await page.route(
      (u) => u.pathname.endsWith("/settings"),
      async (route) => {
        if (!holding || route.request().method() !== "GET") return route.continue();
        held.push([route, await fetchRoute(route)]);
      },
    );
    const written = page.getByLabel("codex: USD per million written");
    await expect.poll(() => written.inputValue(), SOON).toBe("2");
    holding = true;
    await expect
      .poll(
        onClock(page, 5_000, async () => held.length),
        SOON,
      )
      .toBeGreaterThan(0);
    holding = false;
    await written.fill("3");
    await page.getByRole("button", { name: "Save the codex price" }).click();
    await expect.poll(() => status(page), SOON).toBe("Saved: codex at $1.00 read, $3.00 written per million tokens.");
    for (const [route, response] of held.splice(0)) await route.fulfill({ response });
    // The next read (the coordinator's, with the price saved) is in: the one before it was handled first.
    let reads = 0;
    page.on("requestfinished", (r) => {
      if (r.method() === "GET" && new URL(r.url()).pathname.endsWith("/settings")) reads++;
    });
    await expect
      .poll(
        onClock(page, 5_000, async () => reads),
        SOON,
      )
      .toBeGreaterThan(0);
    expect(await written.inputValue()).toBe("3");
    expect(await status(page)).toBe("Saved: codex at $1.00 read, $3.00 written per million tokens.");
    expect(await page.locator("#prices-elsewhere").textContent()).toBe("");
    expect(errors).toEqual([]);
    await close();
  });
});
