// The dashboard against the API's refusals, in Debian Chromium against the real local server (a crafted refusal
// served by page.route where the real one is hard to reach): a refusal's detail of 100 KB, holding HTML and a bidi
// override, is drawn as one bounded, inert, isolated line; a proxy's HTML 502 page, a 403, a 429 `limit_exceeded`,
// a 503 with `Retry-After` and a connection lost mid-write each say what to do in words, and the button is armed
// again. Reads wait out a `Retry-After` (no panel asks again inside it, the page's clock run on by page.clock) and
// resume after it. The serial panel's Freeze and Unfreeze, and a quarantined factory's Release — also on a card
// redrawn while its request is out — send one request per double click; a Release refused because the factory is no
// longer quarantined (`factoryStatus`) says so, not "Conflict"; one that worked says so even when the factory list's
// re-read after it fails (it said "Not released"), and stays on the card drawn anew without Release (it vanished) while
// the factory is as it said — quarantined again, or released after a refused press, the line is gone. An enrollment code minted or revoked whose answer was lost on the
// way back (the server did it) is listed as it now is, and a Save of the settings whose answer was lost is read
// back and said saved: the page read neither again. A refusal of one long
// unbroken word wraps on a 375 px phone, in the header and on a status line, instead of widening the page. Another
// server's JSON naming a code (not the coordinator's problem+json) changes no page's state: a 404 of the budget is no
// "No budget is set", a 403 of the dead letters no "Dead letters are for operators"; each is said as a failed read.
import type { Browser, Route } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fetchRoute, holdRequests, launchChromium, newPage, signIn } from "./chromium.ts";
import { untilFleetRedrawn } from "./dashboard-session.ts";
import { ADMIN, adminApi, type Harness, startHarness } from "./harness.ts";

const PRODUCT = "refusals";
/** A server answer on a busy two-core machine; never a delay. */
const SOON = { timeout: 15_000 };

describe("dashboard: what a refusal says, and one request per click", () => {
  let h: Harness;
  let browser: Browser;
  let factoryId = "";

  const api = adminApi(() => h.url, PRODUCT);

  beforeAll(async () => {
    h = await startHarness();
    await api("POST", "/factories/enroll", { name: "idle-1", capabilities: ["gpu"] });
    const { factories } = await api<{ factories: Array<{ id: string; name: string }> }>("GET", "/factories");
    factoryId = factories.find((f) => f.name === "idle-1")!.id;
    await api("POST", `/factories/${factoryId}/status`, { status: "quarantined" });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await h?.close();
  });

  /** `clock`: the page's clock installed (page.clock.install), for a test that runs it on to the fleet's redraw. */
  async function open(hash: string, clock = false) {
    const opened = await newPage(browser);
    if (clock) await opened.page.clock.install();
    await signIn(opened.page, h.url, ADMIN, PRODUCT);
    await opened.page.goto(`${h.url}/#/${hash}`);
    return opened;
  }

  const hold = holdRequests;

  const problem = (status: number, body: Record<string, unknown>, headers: Record<string, string> = {}) => ({
    status,
    headers: { "content-type": "application/problem+json", ...headers },
    body: JSON.stringify({ type: "about:blank", status, ...body }),
  });

  it("freezes and unfreezes a serial key once on a double click", async () => {
    const { page, errors, close } = await open("jobs");
    const status = page.locator(".serial-status");
    await page.locator("#serial-key").fill("deploy-a");
    await page.locator("#serial-reason").fill("release train");
    const freezes = await hold(page, "POST", "/serial/deploy-a/freeze");
    const freeze = page.getByRole("button", { name: "Freeze", exact: true });
    await freeze.dblclick();
    await expect.poll(() => freeze.isDisabled(), SOON).toBe(true);
    freezes.answer();
    await expect.poll(() => status.textContent(), SOON).toBe("deploy-a is frozen");
    expect(freezes.sent()).toBe(1);
    const unfreezes = await hold(page, "POST", "/serial/deploy-a/unfreeze");
    const unfreeze = page.getByRole("button", { name: "Unfreeze deploy-a" });
    await unfreeze.dblclick();
    unfreezes.answer();
    await expect.poll(() => status.textContent(), SOON).toBe("deploy-a is open");
    expect(unfreezes.sent()).toBe(1);
    await expect.poll(() => freeze.isDisabled(), SOON).toBe(false); // armed again once the re-read is done
    expect(errors).toEqual([]);
    await close();
  });

  it("says each refusal in bounded, inert words with what to do, and arms the button again", async () => {
    const { page, errors, close } = await open("jobs");
    const status = page.locator(".serial-status");
    const freeze = page.getByRole("button", { name: "Freeze", exact: true });
    /** The answer the next freeze gets. */
    let answer: (route: Route) => Promise<void> = (route) => route.continue();
    await page.route(
      (url) => url.pathname.endsWith("/freeze"),
      (route) => answer(route),
    );
    /** Sends a freeze answered by `by`; resolves to the status line once it says the refusal. */
    const refusedBy = async (by: (route: Route) => Promise<void>) => {
      answer = by;
      await page.locator("#serial-key").fill("deploy-b");
      await page.locator("#serial-reason").fill("hold");
      await freeze.click();
      await expect.poll(() => status.textContent(), SOON).toMatch(/^freeze refused: /);
      await expect.poll(() => freeze.isDisabled(), SOON).toBe(false);
      return (await status.textContent()) ?? "";
    };

    // 100 KB of someone's words, opening with HTML and a right-to-left override.
    const hostile = `\u202e<img src=x id=injected>${"lorem ipsum ".repeat(9000)}`;
    const long = await refusedBy((r) =>
      r.fulfill(problem(409, { title: "Conflict", detail: hostile, code: "conflict" })),
    );
    expect(long.length).toBeLessThan(2_000);
    expect(long).toContain("<img src=x id=injected>");
    expect(await page.locator("#injected").count()).toBe(0);
    // Isolated (FSI … PDI): the override ends before the page's own words, which follow it left to right.
    expect(long).toContain("\u2068\u202e<img");
    expect(long).toMatch(/…\u2069 \(conflict\)$/);

    const proxy = await refusedBy((r) =>
      r.fulfill({ status: 502, contentType: "text/html", body: "<html><body><h1>502 Bad Gateway</h1></body></html>" }),
    );
    expect(proxy).toMatch(
      /^freeze refused: HTTP 502.* — the answer is not the coordinator's: \d+ bytes of text\/html: "502 Bad Gateway"\. Try again in a moment/,
    );

    const viewer = await refusedBy((r) =>
      r.fulfill(problem(403, { title: "Not allowed", detail: "yours is a viewer token", code: "forbidden" })),
    );
    expect(viewer).toContain(
      "(forbidden). Your token's role does not allow this: sign out and sign in with an operator",
    );

    const limit = await refusedBy((r) =>
      r.fulfill(problem(429, { title: "Limit exceeded", detail: "100 frozen keys at most", code: "limit_exceeded" })),
    );
    expect(limit).toContain("(limit_exceeded). A product-wide limit is reached");

    const lost = await refusedBy((r) => r.abort("connectionreset"));
    expect(lost).toContain("It may have reached the coordinator before the connection failed");

    const busy = await refusedBy((r) =>
      r.fulfill(
        problem(
          503,
          { title: "Temporarily unavailable", detail: "the product's coordinator is overloaded", code: "unavailable" },
          { "retry-after": "7" },
        ),
      ),
    );
    expect(busy).toContain("(unavailable). Try again in 7 s.");
    expect(errors).toEqual([]);
    await close();
  });

  it("takes another server's JSON refusal for a failed read, not for a state the coordinator said", async () => {
    const { page, errors, close } = await open("jobs");
    const foreign = (status: number, body: unknown) => ({ status, contentType: "application/json", json: body });
    // The metrics document says a budget is set, so the page reads GET …/budget, which another server answers 404.
    await page.route(
      (u) => u.pathname.endsWith("/metrics"),
      async (route) =>
        route.fulfill({ json: { ...(await (await fetchRoute(route)).json()), budget: { state: "active" } } }),
    );
    await page.route(
      (u) => u.pathname.endsWith("/budget"),
      (route) => route.fulfill(foreign(404, { code: "not_found", message: "no such route here" })),
    );
    await page.route(
      (u) => u.pathname.endsWith("/dead-letters"),
      (route) => route.fulfill(foreign(403, { code: "forbidden", message: "blocked by the access policy" })),
    );
    const another = "Another server answered, not the coordinator";
    await page.goto(`${h.url}/#/budget`);
    const budget = page.locator("[data-testid=budget-status]");
    await expect.poll(() => budget.textContent(), SOON).toMatch(/HTTP 404 (Not Found )?— no such route here\./);
    expect(await budget.textContent()).toContain(another);
    expect(await budget.textContent()).not.toContain("No budget is set");
    await page.goto(`${h.url}/#/dead-letters`);
    await expect
      .poll(() => page.locator("#dead-letters-status").textContent(), SOON)
      .toMatch(/HTTP 403 (Forbidden )?— blocked by the access policy\. Another server answered/);
    expect(await page.locator("#dead-letters-refused").isHidden()).toBe(true);
    expect(errors).toEqual([]);
    await close();
  });

  it("wraps a refusal of one unbroken word on a 375 px phone: the page never scrolls sideways", async () => {
    const { page, errors, close } = await newPage(browser, 375);
    await signIn(page, h.url, ADMIN, PRODUCT);
    await page.goto(`${h.url}/#/jobs`);
    const word = `https://proxy.example/${"x".repeat(600)}`;
    await page.route(
      (url) => url.pathname.endsWith("/freeze") || url.pathname.endsWith("/queue-state"),
      (route) => route.fulfill(problem(400, { title: "Refused", detail: word, code: "validation_failed" })),
    );
    /** How many px wider than the screen the page is. */
    const over = () => page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth");
    // The header's line, from the shared poller's read of the queue version.
    await expect.poll(() => page.locator("#summary .error").count(), SOON).toBe(1);
    expect(await over()).toBe(0);
    // An action's status line.
    await page.locator("#serial-key").fill("deploy-d");
    await page.locator("#serial-reason").fill("hold");
    await page.getByRole("button", { name: "Freeze", exact: true }).click();
    await expect.poll(() => page.locator(".serial-status").textContent(), SOON).toContain("proxy.example");
    expect(await over()).toBe(0);
    expect(errors).toEqual([]);
    await close();
  });

  it("reads the enrollment codes again after a mint or a revoke whose answer was lost", async () => {
    const { page, errors, close } = await open("enrollment");
    /** The request reaches the server, which does it; its answer never reaches the page. */
    const lose = (route: Route) => route.fetch().then(() => route.abort("connectionreset"));
    const rows = page.locator('[data-testid="code-row"]');
    await page.locator("#code-new").waitFor(SOON);
    const before = await rows.count();
    await page.route(
      (url) => url.pathname.endsWith("/factories/enrollment-codes"),
      (route) => (route.request().method() === "POST" ? lose(route) : route.fallback()),
    );
    await page.locator("#code-new").click();
    await expect.poll(() => page.locator("#code-new-status").textContent(), SOON).toContain("It may have reached");
    // The code minted all the same is listed, to revoke: it can never be shown.
    await expect.poll(() => rows.count(), SOON).toBe(before + 1);
    // Revoked, the answer lost: its row goes all the same.
    await page.route(
      (url) => url.pathname.includes("/factories/enrollment-codes/"),
      (route) => (route.request().method() === "DELETE" ? lose(route) : route.fallback()),
    );
    await page.getByTestId("code-revoke").first().click();
    await page.getByTestId("code-revoke-confirm").click();
    await expect.poll(() => rows.count(), SOON).toBe(before);
    expect(await page.locator("#codes-status").textContent()).toContain("Not revoked: Cannot reach");
    expect(errors).toEqual([]);
    await close();
  });

  it("reads the settings back after a Save whose answer was lost, and says it was saved", async () => {
    const { page, errors, close } = await open("settings");
    const save = page.getByRole("button", { name: "Save" });
    await expect.poll(() => save.isDisabled(), SOON).toBe(false); // the settings are read
    await page.route(
      (url) => url.pathname.endsWith("/settings"),
      (route) =>
        route.request().method() === "PATCH"
          ? route.fetch().then(() => route.abort("connectionreset"))
          : route.fallback(),
    );
    await page.locator("#setting-weights-load").fill("3");
    await save.click();
    await expect
      .poll(() => page.locator("#settings-status").textContent(), SOON)
      .toBe("Saved: weights (its answer was lost; read back from the coordinator).");
    expect((await api<{ weights: { load: number } }>("GET", "/settings")).weights.load).toBe(3);
    expect(errors).toEqual([]);
    await close();
  });

  it("waits out a Retry-After before reading again, then reads again", async () => {
    const { page, errors, close } = await newPage(browser);
    await page.clock.install();
    await signIn(page, h.url, ADMIN, PRODUCT);
    await page.goto(`${h.url}/#/jobs`);
    await page.locator(".serial-status").waitFor({ state: "attached", ...SOON });
    // From now on every read of the product is refused as an overloaded coordinator that asks for two minutes.
    let asked = 0;
    await page.route(
      (url) => url.pathname.startsWith(`/api/v1/products/${PRODUCT}/`),
      (route) => {
        if (route.request().method() !== "GET") return route.fallback();
        asked++;
        return route.fulfill(
          problem(
            503,
            { title: "Temporarily unavailable", detail: "overloaded", code: "unavailable" },
            { "retry-after": "120" },
          ),
        );
      },
    );
    const summary = page.locator("#summary");
    await page.clock.fastForward(3_000); // the shared poller's next tick: refused, asking for 120 s
    await expect.poll(() => summary.textContent(), SOON).toMatch(/Try again in (1[01]\d|120) s\./); // counting down from 120
    const before = asked;
    // A minute on: every panel's clock has run out at least once (the poller's 3 s, the board's, the tiles', the
    // health badge's), each read inside the wait — told the seconds left, not asked again.
    await page.clock.fastForward(60_000);
    await expect
      .poll(async () => asked > before || /Try again in [1-9]\d? s\./.test((await summary.textContent()) ?? ""), SOON)
      .toBe(true);
    expect(asked).toBe(before);
    // Past the wait: the page reads again.
    await page.clock.fastForward(70_000);
    await expect.poll(() => asked, SOON).toBeGreaterThan(before);
    expect(errors).toEqual([]);
    await close();
  });

  it("releases a quarantined factory once, also on a card redrawn while the release is out", async () => {
    const { page, errors, close } = await open("fleet", true);
    const release = page.locator(`#release-${factoryId}`);
    await release.waitFor(SOON);
    const releases = await hold(page, "POST", `/factories/${factoryId}/release`);
    await release.dblclick();
    await expect.poll(() => releases.sent(), SOON).toBe(1);
    // The card drawn anew by the poller's tick keeps its Release greyed out while the request is out.
    await release.evaluate((el) => el.setAttribute("data-old", ""));
    await untilFleetRedrawn(page, async () => (await page.locator(`#release-${factoryId}[data-old]`).count()) === 0);
    expect(await release.isDisabled()).toBe(true);
    releases.answer();
    await expect.poll(() => release.count(), SOON).toBe(0);
    expect(releases.sent()).toBe(1);
    await api("POST", `/factories/${factoryId}/status`, { status: "quarantined" }); // for the next test
    expect(errors).toEqual([]);
    await close();
  });

  it("says a release that worked is released, also when the factory list's re-read after it fails", async () => {
    const { page, errors, close } = await open("fleet");
    const release = page.locator(`#release-${factoryId}`);
    await release.waitFor(SOON);
    await page.route(
      (url) => url.pathname.endsWith("/factories"),
      (route) =>
        route.request().method() === "GET"
          ? route.fulfill(problem(503, { title: "Down", detail: "injected", code: "unavailable" }))
          : route.fallback(),
    );
    await release.click();
    const said = page.locator(`#release-status-${factoryId}`);
    await expect.poll(() => said.textContent(), SOON).not.toBe("Releasing…");
    expect(await said.textContent()).toBe("Released: back in rotation.");
    const listed = await api<{ factories: Array<{ id: string; status: string }> }>("GET", "/factories");
    expect(listed.factories.find((f) => f.id === factoryId)?.status).toBe("active");
    await api("POST", `/factories/${factoryId}/status`, { status: "quarantined" }); // for the next test
    expect(errors).toEqual([]);
    await close();
  });

  // Released, the card is drawn anew without its quarantine panel, and the line saying so went with it: the re-read of
  // the list after the release (and any poller's redraw after it) wiped "Released: back in rotation." at once.
  it("keeps a release's answer on the card across the fleet's redraws after it", async () => {
    const { page, errors, close } = await open("fleet", true);
    const release = page.locator(`#release-${factoryId}`);
    await release.waitFor(SOON);
    await release.click();
    const said = page.locator(`#release-status-${factoryId}`);
    await expect.poll(() => release.count(), SOON).toBe(0); // drawn from the list read after it: active, no Release
    // A poller's tick draws the cards anew from its own read (the old card's name marked, the new one's not).
    const name = page.locator(`#factory-name-${factoryId}`);
    await name.evaluate((el) => el.setAttribute("data-old", ""));
    await untilFleetRedrawn(page, async () => (await name.and(page.locator("[data-old]")).count()) === 0);
    expect(await said.count()).toBe(1);
    expect(await said.textContent()).toBe("Released: back in rotation.");
    await api("POST", `/factories/${factoryId}/status`, { status: "quarantined" }); // for the next test
    expect(errors).toEqual([]);
    await close();
  });

  // The kept line was carried by its id into whatever card came next: quarantined again, the new panel said "Released:
  // back in rotation." under an armed Release; a press refused ("Not released: …") stayed after another released it.
  it("drops a release's answer once the factory's status is no longer what the answer said", async () => {
    const { page, errors, close } = await open("fleet", true);
    const release = page.locator(`#release-${factoryId}`);
    const card = page.locator(`#factory-name-${factoryId}`).locator("xpath=ancestor::li[1]");
    await release.waitFor(SOON);
    await release.click();
    await expect.poll(() => release.count(), SOON).toBe(0);
    await expect.poll(() => card.textContent(), SOON).toContain("Released: back in rotation.");
    await api("POST", `/factories/${factoryId}/status`, { status: "quarantined" }); // another operator, again
    await untilFleetRedrawn(page, async () => (await release.count()) === 1);
    expect(await card.textContent()).not.toContain("Released");
    // A press refused, then the factory released elsewhere: the refusal goes with the quarantine it was about.
    await page.route(`**/factories/${factoryId}/release`, (route) =>
      route.fulfill(problem(403, { title: "Forbidden", detail: "operators only", code: "forbidden" })),
    );
    await release.click();
    await expect.poll(() => card.textContent(), SOON).toContain("Not released");
    await api("POST", `/factories/${factoryId}/release`);
    await untilFleetRedrawn(page, async () => (await release.count()) === 0);
    expect(await card.textContent()).not.toContain("Not released");
    await api("POST", `/factories/${factoryId}/status`, { status: "quarantined" }); // for the next test
    expect(errors).toEqual([]);
    await close();
  });

  it("says a release found the factory no longer quarantined, not 'Released' nor 'Conflict'", async () => {
    const { page, errors, close } = await open("fleet");
    const release = page.locator(`#release-${factoryId}`);
    await release.waitFor(SOON);
    // Released by another operator a moment ago, as the coordinator answers it (factories/admin `releaseQuarantined`:
    // active already, a no-op); drained by one, a 409 naming its status.
    const answers = [
      {
        status: 200,
        contentType: "application/json",
        body: JSON.stringify({ id: factoryId, status: "active", changed: false }),
      },
      problem(409, {
        title: "Conflict",
        detail: `factory ${factoryId} is draining, not quarantined: nothing to release`,
        code: "conflict",
        factoryId,
        factoryStatus: "draining",
      }),
    ];
    const said = page.locator(`#release-status-${factoryId}`);
    const expected = [
      "Nothing to release: the factory is active already (released meanwhile?).",
      "Nothing to release: the factory is draining now, not quarantined (released meanwhile?).",
    ];
    let asked = 0;
    await page.route(`**/factories/${factoryId}/release`, (route) => route.fulfill(answers[asked++]!));
    for (const i of [0, 1]) {
      // The card is drawn as the list says (still quarantined on the server): its Release is armed again.
      await page.locator(`#release-${factoryId}:not([aria-disabled="true"])`).waitFor(SOON);
      const reread = await hold(page, "GET", "/factories"); // the list read after the answer, held while it is read
      await page.locator(`#release-${factoryId}`).click();
      await expect.poll(() => said.textContent(), SOON).toBe(expected[i]);
      reread.answer();
      // That list shows the factory quarantined (the answers were crafted): the line was about another status, gone.
      await expect.poll(() => said.textContent(), SOON).toBe("");
    }
    expect(errors).toEqual([]);
    await close();
  });
});
