// The dashboard offers each token only what its role may do, in Debian Chromium against the real local server: signed
// in with a viewer token (GET …/whoami read once), the budget, fleet, settings, enrollment, jobs, lessons and routing
// pages and a job's page draw no control that writes (Pause, Resume, Set budget, Release, Save, New code, Revoke,
// Freeze, Unfreeze, Archive, Add, Remove, requeue, cancel, approve…) — each marked `data-needs`, none of them visible —
// the settings are shown read-only, the enrollment page asks nothing the server would refuse, and the header says
// "read-only (viewer token)", on a 375 px phone too without widening the page; an operator on the same pages is offered
// every one of them and no marker. Against a coordinator without whoami (404) a viewer is offered everything as before
// and a click gets the server's refusal, shown as it is: the server stays the judge. A whoami the network holds no
// longer keeps every page at "Loading…" for ever: the pages draw without it, and are drawn again for the viewer when
// it answers (settings turn read-only), and no role-gated control shows meanwhile (a viewer saw the job page's action
// bar until then); one that fails for the moment (a 503) is asked again at the next poll, where the viewer was
// offered every control for the whole session. Another server's refusal of whoami (a gateway's 403 JSON, not the
// coordinator's problem) offers no role-gated control, as for a viewer, and the header says the role could not be read
// and why — it was taken for an older coordinator's, and every control offered; the lists an operator reads are read.
// Once such a role is read, a page that does not draw by the role is not drawn again: the board was, and the reader's
// keyboard focus fell to the page and its scroll to the top; the operator's controls show by the role mark.
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { holdRequests, launchChromium, newPage, signIn } from "./chromium.ts";
import { hasFocus, onClock, untilLessonsListed } from "./dashboard-session.ts";
import { adminApi, type Harness, mintRoleTokens, startHarness } from "./harness.ts";
import { withoutWhoami } from "./older-coordinator.ts";

const PRODUCT = "roles";
/** A server answer or a page's first draw on a busy two-core machine; never a delay. */
const SOON = { timeout: 20_000 };
/** The accessible names of every control that changes something, as the pages name them. */
const WRITES =
  /^(Pause|Resume|Set budget|Release|Save|New code|Revoke|Yes, revoke|Freeze|Unfreeze|Archive|Add|Apply|Remove|Stop|Acknowledge|requeue|cancel|approve|reject|ship|Approve|Reject)\b/;

describe("dashboard: what each role is offered", () => {
  let h: Harness;
  let browser: Browser;
  const tokens = { viewer: "", operator: "" };
  let factoryId = "";
  let reviewed = "";
  const api = adminApi(() => h.url, PRODUCT);

  beforeAll(async () => {
    h = await startHarness();
    await api("PUT", "/budget", { period: "day", ceilingUsd: 50, onExhausted: "pause" });
    Object.assign(tokens, await mintRoleTokens(h.url, PRODUCT));
    // A quarantined factory (its card has Release), a code waiting (Revoke), a frozen key (Unfreeze), a lesson
    // (Archive), a rule (Remove) and a job with a review gate (the action bar and Approve / Reject).
    await api("POST", "/factories/enroll", { name: "idle-1", capabilities: ["gpu"] });
    const { factories } = await api<{ factories: Array<{ id: string; name: string }> }>("GET", "/factories");
    factoryId = factories.find((f) => f.name === "idle-1")!.id;
    await api("POST", `/factories/${factoryId}/status`, { status: "quarantined" });
    await api("POST", "/factories/enrollment-codes", { name: "box-a" });
    await api("POST", "/serial/frozen-key/freeze", { reason: "release train" });
    const lesson = await api<{ id: string }>("POST", "/lessons", { text: "Run the migrations first" });
    await untilLessonsListed(api, [lesson.id]);
    await api("POST", "/routing/rules", { factoryId, effect: "avoid", reason: "flaky disk" });
    reviewed = (await api<{ id: string }>("POST", "/jobs", { manifest: { title: "To review", reviewers: 1 } })).id;
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await h?.close();
  });

  /** Each page, and what shows its data is drawn (so its controls would be too). */
  const pages = (): Array<[string, (p: Page) => Promise<unknown>]> => [
    ["#/budget", (p) => expect.poll(() => p.locator("#budget-ceiling").textContent(), SOON).toBe("$50.00")],
    ["#/fleet", (p) => p.locator('li[data-factory="idle-1"] [data-testid="quarantine"]').waitFor(SOON)],
    ["#/settings", (p) => expect.poll(() => p.locator("#setting-leaseTtlSeconds").inputValue(), SOON).not.toBe("")],
    ["#/enrollment", (p) => p.locator("#codes-refused:not([hidden]), [data-testid=code-row]").first().waitFor(SOON)],
    ["#/jobs", (p) => p.locator(".serial-gates").getByText("frozen-key").first().waitFor(SOON)],
    ["#/lessons", (p) => p.locator("#lessons-list").getByText("Run the migrations first").waitFor(SOON)],
    ["#/routing", (p) => p.locator('[data-testid="routing-rule"]').waitFor(SOON)],
    [
      `#/jobs/${reviewed}`,
      async (p) => {
        await expect.poll(() => p.locator(".job-stage .badge").textContent(), SOON).toBe("queued");
        await p.locator("section.review").waitFor(SOON);
      },
    ],
  ];

  /** The write controls a reader of `page` can see or reach: the buttons by their accessible names. */
  const offered = (page: Page) =>
    page
      .getByRole("button", { name: WRITES })
      .evaluateAll((els) => els.map((e) => e.getAttribute("aria-label") ?? e.textContent));

  it("draws no write control for a viewer on any page, says read-only in the header, and asks nothing refused", async () => {
    const { page, errors, close } = await newPage(browser);
    const codeReads: string[] = [];
    page.on("request", (r) => {
      if (new URL(r.url()).pathname.endsWith("/factories/enrollment-codes")) codeReads.push(r.method());
    });
    await signIn(page, h.url, tokens.viewer, PRODUCT);
    const marker = page.locator("#role-marker");
    await expect.poll(() => marker.textContent(), SOON).toBe("read-only (viewer token)");
    for (const [hash, drawn] of pages()) {
      await page.goto(`${h.url}/${hash}`);
      await drawn(page);
      expect(await offered(page), hash).toEqual([]);
      // Every marked control is there, and none is drawn.
      const marks = await page.locator("[data-needs]").evaluateAll((els) => ({
        marked: els.length,
        shown: els.filter((e) => (e as unknown as { offsetParent: unknown }).offsetParent !== null).length,
      }));
      expect(marks.marked, hash).toBeGreaterThan(0);
      expect(marks.shown, hash).toBe(0);
    }
    // The settings are read, not editable; the enrollment page said why without asking the server.
    await page.goto(`${h.url}/#/settings`);
    await expect.poll(() => page.locator("#setting-leaseTtlSeconds").inputValue(), SOON).not.toBe("");
    expect(await page.locator("#setting-leaseTtlSeconds").isDisabled()).toBe(true);
    expect(await page.locator("#setting-preemption").isDisabled()).toBe(true);
    await page.goto(`${h.url}/#/enrollment`);
    await expect
      .poll(() => page.locator("#codes-refused").textContent(), SOON)
      .toMatch(/^Enrollment codes are for operators/);
    expect(codeReads).toEqual([]);
    expect(errors).toEqual([]);
    await close();
  });

  it("keeps the marker on a 375 px phone without widening the page", async () => {
    const { page, errors, close } = await newPage(browser, 375);
    await signIn(page, h.url, tokens.viewer, PRODUCT);
    await page.locator("#role-marker").waitFor(SOON);
    await page.locator("table.jobs").waitFor(SOON);
    expect(await page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")).toBe(0);
    expect(errors).toEqual([]);
    await close();
  });

  it("offers an operator every one of them, and no marker", async () => {
    const { page, errors, close } = await newPage(browser);
    await signIn(page, h.url, tokens.operator, PRODUCT);
    await expect.poll(() => page.locator("html").getAttribute("data-role"), SOON).toBe("operator");
    const want: Record<string, RegExp[]> = {
      "#/budget": [/^Pause$/, /^Resume$/, /^Set budget$/],
      "#/fleet": [/^Release idle-1$/],
      "#/settings": [/^Save$/],
      "#/enrollment": [/^New code$/, /^Revoke /],
      "#/jobs": [/^Freeze$/, /^Unfreeze frozen-key$/],
      "#/lessons": [/^Add$/, /^Archive lesson /],
      "#/routing": [/^Remove rule avoid /],
      [`#/jobs/${reviewed}`]: [/^requeue$/, /^cancel$/, /^approve$/, /^Approve$/, /^Reject$/],
    };
    for (const [hash, drawn] of pages()) {
      await page.goto(`${h.url}/${hash}`);
      await drawn(page);
      if (hash === "#/enrollment") await page.locator("[data-testid=code-row]").waitFor(SOON);
      const names = await offered(page);
      for (const name of want[hash] ?? []) expect(names, `${hash} ${name}`).toContainEqual(expect.stringMatching(name));
    }
    expect(await page.locator("#role-marker").count()).toBe(0);
    await page.goto(`${h.url}/#/settings`);
    await expect.poll(() => page.locator("#setting-leaseTtlSeconds").isEnabled(), SOON).toBe(true);
    expect(errors).toEqual([]);
    await close();
  });

  it("draws the pages while whoami is held, and draws them again for the viewer when it answers", async () => {
    const { page, errors, close } = await newPage(browser);
    await page.clock.install();
    const whoami = await holdRequests(page, "GET", "/whoami");
    await signIn(page, h.url, tokens.viewer, PRODUCT);
    // Drawn once the 4 s the first page waits for whoami are over (its clock run on, not waited for: onClock).
    await expect
      .poll(
        onClock(page, 4_000, () => page.locator("table.jobs").count()),
        SOON,
      )
      .toBe(1);
    await page.goto(`${h.url}/#/settings`);
    const lease = page.locator("#setting-leaseTtlSeconds");
    await expect.poll(() => lease.inputValue(), SOON).not.toBe("");
    expect(await lease.isDisabled()).toBe(false); // not known yet: everything offered, the server judging
    expect(whoami.sent()).toBeGreaterThan(0);
    whoami.answer();
    await expect.poll(() => page.locator("#role-marker").textContent(), SOON).toBe("read-only (viewer token)");
    await expect.poll(() => page.locator("#setting-leaseTtlSeconds").isDisabled(), SOON).toBe(true);
    expect(await page.locator("#settings-save").isVisible()).toBe(false);
    expect(errors).toEqual([]);
    await close();
  });

  it("draws no role-gated control while whoami is slow, then the operator's once it answers", async () => {
    for (const [who, token] of [
      ["viewer", tokens.viewer],
      ["operator", tokens.operator],
    ] as const) {
      const { page, errors, close } = await newPage(browser);
      await page.clock.install();
      const whoami = await holdRequests(page, "GET", "/whoami");
      await signIn(page, h.url, token, PRODUCT);
      // Past the 4 s the first page waits for whoami (its clock run on, not waited for: onClock): the job page is
      // drawn without it, its action bar hidden.
      await page.goto(`${h.url}/#/jobs/${reviewed}`);
      const bar = page.locator('section.actions[aria-label="Actions"]');
      await expect
        .poll(
          onClock(page, 4_000, () => bar.count()),
          SOON,
        )
        .toBe(1);
      await expect.poll(() => page.locator("[data-fact]").count(), SOON).toBeGreaterThan(0);
      expect(await bar.isVisible(), who).toBe(false);
      expect(await page.locator('a[href="#/enrollment"]').isVisible(), who).toBe(false);
      expect(whoami.sent()).toBeGreaterThan(0);
      whoami.answer();
      if (who === "viewer") {
        await expect.poll(() => page.locator("#role-marker").textContent(), SOON).toBe("read-only (viewer token)");
        expect(await page.locator('section.actions[aria-label="Actions"]').isVisible()).toBe(false);
      } else await expect.poll(() => bar.isVisible(), SOON).toBe(true);
      expect(errors).toEqual([]);
      await close();
    }
  });

  it("asks whoami again after a read that failed for the moment, and then hides the viewer's controls", async () => {
    const { page, errors, close } = await newPage(browser);
    let failed = 0;
    await page.route(
      (url) => url.pathname.endsWith("/whoami"),
      async (route) => {
        if (failed > 0) return route.continue();
        failed++;
        const body = { type: "about:blank", title: "Unavailable", status: 503, detail: "busy", code: "unavailable" };
        return route.fulfill({ status: 503, contentType: "application/problem+json", body: JSON.stringify(body) });
      },
    );
    await signIn(page, h.url, tokens.viewer, PRODUCT);
    await page.goto(`${h.url}/#/fleet`);
    await page.locator('li[data-factory="idle-1"] [data-testid="quarantine"]').waitFor(SOON);
    await expect.poll(() => page.locator("#role-marker").textContent(), SOON).toBe("read-only (viewer token)");
    expect(failed).toBe(1);
    expect(await page.locator(`#release-${factoryId}`).isVisible()).toBe(false);
    expect(errors).toEqual([]);
    await close();
  });

  it("offers a viewer everything against a coordinator without whoami, and shows the server's refusal", async () => {
    const { page, errors, close } = await newPage(browser);
    await withoutWhoami(page);
    await signIn(page, h.url, tokens.viewer, PRODUCT);
    await page.goto(`${h.url}/#/fleet`);
    const release = page.locator(`#release-${factoryId}`);
    await release.waitFor(SOON); // drawn, and visible
    expect(await page.locator("#role-marker").count()).toBe(0);
    expect(await page.locator("html").getAttribute("data-role")).toBeNull();
    await release.click();
    const status = page.locator(`#release-status-${factoryId}`);
    await expect.poll(() => status.textContent(), SOON).toMatch(/^Not released: .*\(forbidden\)/);
    expect(errors).toEqual([]);
    await close();
  });

  it("offers no control when another server refuses whoami, and says the role could not be read and why", async () => {
    const { page, errors, close } = await newPage(browser);
    await page.route(
      (url) => url.pathname.endsWith("/whoami"),
      (route) => route.fulfill({ status: 403, contentType: "application/json", body: '{"code":"forbidden"}' }),
    );
    await signIn(page, h.url, tokens.operator, PRODUCT);
    const marker = page.locator("#role-marker");
    await expect.poll(() => marker.textContent(), SOON).toBe("read-only (role not read)");
    expect(await marker.getAttribute("title")).toMatch(
      /^The token's role could not be read, .* GET …\/whoami: HTTP 403 Forbidden.*Another server answered, not the coordinator/,
    );
    expect(await page.locator("html").getAttribute("data-role")).toBe("unread");
    await page.goto(`${h.url}/#/fleet`);
    await page.locator('li[data-factory="idle-1"] [data-testid="quarantine"]').waitFor(SOON);
    expect(await offered(page)).toEqual([]);
    // The list only an operator reads is read (the server judges), its controls not offered.
    await page.goto(`${h.url}/#/enrollment`);
    await page.locator("[data-testid=code-row]").first().waitFor(SOON);
    expect(await offered(page)).toEqual([]);
    expect(await page.locator("#codes-refused").isHidden()).toBe(true);
    // The settings are shown read-only, saying why: not a viewer's, a role not read.
    await page.goto(`${h.url}/#/settings`);
    await expect.poll(() => page.locator("#setting-leaseTtlSeconds").inputValue(), SOON).not.toBe("");
    expect(await page.locator("#setting-leaseTtlSeconds").isDisabled()).toBe(true);
    await page.getByText("Read-only: the token's role could not be read.").waitFor(SOON);
    expect(errors).toEqual([]);
    await close();
  });

  it("keeps the reader's focus and scroll on the board when a role not read is read", async () => {
    const { page, errors, close } = await newPage(browser);
    await page.setViewportSize({ width: 1280, height: 300 }); // the board scrolls
    await page.clock.install(); // whoami asked again at the poller's ticks, reached by running the clock on (onClock)
    // Another server refuses whoami (a role not read) until `read`: the coordinator answers from then on.
    let read = false;
    await page.route(
      (url) => url.pathname.endsWith("/whoami"),
      (route) =>
        read
          ? route.fallback()
          : route.fulfill({ status: 403, contentType: "application/json", body: '{"code":"forbidden"}' }),
    );
    await signIn(page, h.url, tokens.operator, PRODUCT);
    await expect.poll(() => page.locator("#role-marker").textContent(), SOON).toBe("read-only (role not read)");
    await page.locator(".serial-gates").getByText("frozen-key").first().waitFor(SOON);
    const row = page.locator(`main a[href="#/jobs/${reviewed}"]`).first();
    await row.focus();
    // In the page (strings: this project's types have no DOM): to the bottom, and how far that is.
    const scrollY = () => page.evaluate<number>("window.scrollY");
    await page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)");
    const scrolled = await scrollY();
    expect(scrolled).toBeGreaterThan(0);
    read = true;
    await expect
      .poll(
        onClock(page, 3_000, () => page.locator("html").getAttribute("data-role")),
        SOON,
      )
      .toBe("operator");
    expect(await hasFocus(row)).toBe(true);
    expect(await scrollY()).toBe(scrolled);
    // The operator's controls, shown by the mark: the frozen key's Unfreeze.
    await expect
      .poll(
        () =>
          page
            .getByRole("button", { name: /^Unfreeze/ })
            .first()
            .isVisible(),
        SOON,
      )
      .toBe(true);
    expect(errors).toEqual([]);
    await close();
  });
});
