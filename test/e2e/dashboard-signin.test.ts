// The sign-in form against a slow coordinator and a token pasted wrong, in Debian Chromium against the real local
// server: while its check of the token is out (held by page.route) the form says it is checking — it showed a
// greyed-out button and nothing else — and signs in once answered; a product token cut off, one with more pasted
// after it, a host's enrollment code, or a GitHub token pasted by mistake is refused on the form in words that say
// what is wrong (the GitHub one named as GitHub's), with no request
// sent (each was refused by the coordinator as a token it does not know), and a cut product token is not taken for
// the admin token (the form offered "keep me signed in as admin" for it). A token the coordinator can never read —
// `Bearer <admin token>` pasted whole, two words, past 512 bytes, a character no header carries — is refused beside the Token field in the CLI's
// words, nothing sent (it got the coordinator's generic 401); a refusal's words go once the box it is about is edited
// (they stayed), but stay while another box they name is still empty; a token's fault and an empty Product are said
// together, each box marked (the token's fault came only once Product was filled). The tests' own
// sign-in loads the page once more when one of its files was lost on the way, and says which when lost again. With
// one module lost the page itself says, without the app, that a file did not load and to reload (it was blank). The
// console errors of a refused sign-in are Chromium's network log, not the page's.
import type { Route } from "playwright-core";
import { describe, expect, it } from "vitest";
import { newPage, signIn } from "./chromium.ts";
import { dashboardSuite, description, expectRefused } from "./dashboard-session.ts";
import { ADMIN } from "./harness.ts";

const PRODUCT = "signin-form";
/** A server answer or a page's draw on a busy two-core machine; never a delay. */
const SOON = { timeout: 30_000 };

describe("dashboard: the sign-in form", () => {
  const suite = dashboardSuite(PRODUCT, { tokens: true });

  it("says it is checking the token while the coordinator is slow to answer, then signs in", async () => {
    const { page, errors, close } = await newPage(suite.browser);
    let held: Route | undefined;
    await page.route(
      (u) => u.pathname.endsWith("/jobs") && u.searchParams.get("limit") === "1",
      (route) => {
        if (held) return route.continue();
        held = route;
      },
    );
    await page.goto(`${suite.h.url}/`);
    await page.getByLabel("Token").fill(suite.tokens.operator);
    await page.getByLabel("Token").press("Enter");
    await expect.poll(() => held !== undefined, SOON).toBe(true);
    expect(await page.locator("#signin-progress").textContent()).toBe("Checking the token with the coordinator…");
    expect(await page.getByRole("button", { name: "Sign in" }).isDisabled()).toBe(true);
    await held!.continue();
    await page.getByRole("button", { name: "Sign out" }).waitFor(SOON);
    expect(errors).toEqual([]);
    await close();
  });

  it("refuses a cut, a lengthened, an enrollment-code and a GitHub token on the form, sending nothing", async () => {
    const { page, errors, close } = await newPage(suite.browser);
    const sent: string[] = [];
    page.on("request", (r) => {
      if (r.url().includes("/api/v1/")) sent.push(r.url());
    });
    await page.goto(`${suite.h.url}/`);
    const token = page.getByLabel("Token");
    const error = page.locator("#signin-error");
    const cases: Array<[string, RegExp]> = [
      [
        suite.tokens.operator.slice(0, 20),
        /^Not sent: the token is not a product token: gf_signin-form_… looks cut off/,
      ],
      [`${suite.tokens.operator}xyz`, /something was pasted with it\. Sign in with an operator or viewer token, whole/],
      [suite.tokens.operator.replace(/^gf_/, "gfe_"), /one-time enrollment code \(gfe_…\)/],
      // A GitHub token pasted by mistake names no product: it was taken for the admin token and sent as a bearer.
      [`ghp_${"a1B2".repeat(9)}`, /^Not sent: it is a GitHub token \(ghp_…\), not a Gigafactory token\. Sign in/],
    ];
    for (const [typed, said] of cases) {
      await token.fill(typed);
      await page.getByLabel("Product").fill(PRODUCT);
      // A product token, whole or not, or another service's, is never the admin's: "keep me signed in" is not offered.
      expect(await page.locator("#remember-admin").isVisible()).toBe(false);
      await token.press("Enter");
      await expect.poll(() => error.textContent(), SOON).toMatch(said);
      expect(await error.textContent()).not.toContain(typed.slice(-10)); // no secret shown
      expect(await page.evaluate("document.activeElement?.id")).toBe("token");
    }
    expect(sent).toEqual([]);
    expect(errors).toEqual([]);
    await close();
  });

  it("refuses a token the coordinator cannot read beside the Token field, sending nothing", async () => {
    const { page, errors, close } = await newPage(suite.browser);
    const sent: string[] = [];
    page.on("request", (r) => {
      if (r.url().includes("/api/v1/")) sent.push(r.url());
    });
    await page.goto(`${suite.h.url}/`);
    const token = page.getByLabel("Token");
    const error = page.locator("#signin-error");
    const alone =
      /\. Give the token alone, as it was minted or set: the dashboard adds `Authorization: Bearer` itself\.$/;
    const cases: Array<[string, RegExp]> = [
      [
        `Bearer ${ADMIN}`,
        /Not sent: the token holds a blank at character 7, which no token has: `Bearer` pasted with it\?/,
      ],
      [`${ADMIN} ${ADMIN}`, /Not sent: the token holds a blank at character \d+, which no token has: two words pasted/],
      ["é".repeat(257), /Not sent: the token is 514 bytes, past the 512 the coordinator reads of one\./],
    ];
    // A character no header can carry (an ellipsis a chat added): fetch threw, told as a coordinator not reached.
    const copied =
      /\. Copy the token again, whole and alone \(tokens are ASCII: gf_<product>_ and letters, digits, '_' or '-'\)\.$/;
    const unsafe =
      /Not sent: the token holds a character no HTTP header can carry \(U\+2026 at character 16\); a paste may have brought it along/;
    await page.getByLabel("Product").fill(PRODUCT);
    for (const [typed, said] of cases) {
      await token.fill(typed);
      expect(await page.locator("#remember-admin").isVisible()).toBe(false); // not sent, so not kept either
      await token.press("Enter");
      await expectRefused(token, said); // its description: the field's help, then the refusal
      expect(await error.textContent()).toMatch(new RegExp(`^${said.source}`));
      expect(await error.textContent()).toMatch(alone);
      expect(await error.textContent()).not.toContain(ADMIN);
    }
    await token.fill(`${ADMIN}\u2026`);
    expect(await page.locator("#remember-admin").isVisible()).toBe(false);
    await token.press("Enter");
    await expectRefused(token, unsafe);
    expect(await error.textContent()).toMatch(new RegExp(`^${unsafe.source}`));
    expect(await error.textContent()).toMatch(copied);
    expect(await error.textContent()).not.toContain(ADMIN);
    // Edited, the token is no longer the one refused: the words go with the box's mark.
    await token.press("End");
    await token.press("Backspace");
    await expect.poll(() => error.textContent(), SOON).toBe("");
    expect(await token.getAttribute("aria-invalid")).toBeNull();
    expect(sent).toEqual([]);
    expect(errors).toEqual([]);
    await close();
  });

  it("keeps 'Enter a token and a product' while one of the two is still empty, and drops it when both are filled", async () => {
    const { page, errors, close } = await newPage(suite.browser);
    await page.goto(`${suite.h.url}/`);
    const [token, product] = [page.getByLabel("Token"), page.getByLabel("Product")];
    const error = page.locator("#signin-error");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expectRefused(token, /Enter a token and a product\.$/);
    expect(await product.getAttribute("aria-invalid")).toBe("true");
    await token.pressSequentially("x");
    await expect.poll(() => token.getAttribute("aria-invalid"), SOON).toBeNull();
    expect(await error.textContent()).toBe("Enter a token and a product."); // still true of the Product box
    await product.pressSequentially("y");
    await expect.poll(() => error.textContent(), SOON).toBe("");
    expect(errors).toEqual([]);
    await close();
  });

  // The test helper's own sign-in (chromium.ts signIn), under every dashboard test: one of the page's files lost on
  // the way left a page with no form, and signIn waited 30 s for a Token field that would never come.
  it("signs in when a file of the dashboard was lost once on the way, and says at once which one when lost again", async () => {
    const { page, errors, close } = await newPage(suite.browser);
    let resets = 0;
    await page.route(
      (u) => u.pathname.endsWith("/token-shape.js"),
      (route) => (resets++ < 1 ? route.abort("connectionreset") : route.fallback()),
    );
    await signIn(page, suite.h.url, ADMIN, PRODUCT);
    expect(resets).toBe(2); // lost, then loaded with the page loaded again
    await close();

    const again = await newPage(suite.browser);
    await again.page.route(
      (u) => u.pathname.endsWith("/token-shape.js"),
      (route) => route.abort("connectionreset"),
    );
    await expect(signIn(again.page, suite.h.url, ADMIN, PRODUCT)).rejects.toThrow(
      /drew no sign-in form \(loaded 2 times\): \/token-shape\.js \(net::ERR_CONNECTION_RESET\) did not load$/,
    );
    expect([...errors, ...again.errors]).toEqual([]);
    await again.close();
  });

  // One module lost runs none of the app: the page said nothing at all, an empty <main> under the header.
  it("says, without the app, that a file did not load when one module is lost", async () => {
    const { page, close } = await newPage(suite.browser);
    await page.route(
      (u) => u.pathname.endsWith("/token-shape.js"),
      (route) => route.abort("connectionreset"),
    );
    await page.goto(`${suite.h.url}/`); // its load: every module asked for, none of the graph run
    expect(await page.getByLabel("Token").count()).toBe(0);
    expect(await page.locator("#main").innerText()).toBe(
      "Loading the dashboard… If this stays, reload the page: a file of the dashboard did not load.",
    );
    await page.unrouteAll();
    await page.reload(); // as the words say: the app draws its form over them
    await page.getByLabel("Token").waitFor(SOON);
    expect(await page.locator("#main").innerText()).not.toContain("If this stays");
    await close();
  });

  // A box is described only by words about it. The Token box refused for its shape, then the Product box emptied and
  // the form sent again: "Enter a token and a product" took the line, and the Token box stayed marked, described by
  // those words — and, still "refused" by them, kept them on screen once the product was typed back.
  // Sign-in's refusals (401 for a token the coordinator does not know, 404 for a product it has not) showed as errors
  // in the browser's console: they are Chromium's own network log of a failed load, which a page cannot turn off —
  // the page itself logs nothing (no console call in dashboard/).
  it("logs no console error of its own when the coordinator refuses the token or the product", async () => {
    const { page, errors, close } = await newPage(suite.browser);
    const logged: Array<{ text: string; url: string }> = [];
    page.on("console", (m) => {
      if (m.type() === "error") logged.push({ text: m.text(), url: m.location().url });
    });
    await page.goto(`${suite.h.url}/`);
    const [token, product] = [page.getByLabel("Token"), page.getByLabel("Product")];
    const error = page.locator("#signin-error");
    await token.fill(`gf_${PRODUCT}_${"A".repeat(43)}`);
    await product.fill(PRODUCT);
    await token.press("Enter");
    await expectRefused(token, /./);
    await token.fill(ADMIN);
    await product.fill("no-such-product");
    await token.press("Enter");
    await expect.poll(() => product.getAttribute("aria-invalid"), SOON).toBe("true");
    expect(await error.textContent()).not.toBe("");
    expect(logged.map((l) => l.text)).toEqual([
      expect.stringMatching(/^Failed to load resource: the server responded with a status of 401/),
      expect.stringMatching(/^Failed to load resource: the server responded with a status of 404/),
    ]);
    for (const l of logged) expect(l.url).toContain("/api/v1/"); // the failed load's own URL, not a page script
    expect(errors).toEqual([]);
    await close();
  });

  // A cut product token with Product empty was told only "Enter a token and a product." — the token's own fault
  // came once Product was filled (the CLI says token_malformed … looks cut off at once). Every fault is said at once.
  it("says a token's fault and an empty Product together, each box marked, until each is edited", async () => {
    const { page, errors, close } = await newPage(suite.browser);
    await page.goto(`${suite.h.url}/`);
    const [token, product] = [page.getByLabel("Token"), page.getByLabel("Product")];
    const error = page.locator("#signin-error");
    const both =
      /Not sent: the token is not a product token: gf_signin-form_… looks cut off: .* Enter a product too\.$/;
    await token.fill(suite.tokens.operator.slice(0, 20));
    await product.fill("");
    await token.press("Enter");
    await expectRefused(token, both); // focus on the first box refused
    expect(await product.getAttribute("aria-invalid")).toBe("true");
    expect(await description(product)).toMatch(both);
    expect(await error.textContent()).toMatch(/^Not sent: /); // the token's fault first, in its own words
    // Product typed in: its mark goes, the words stay (still true of the Token box), then go once it is edited.
    await product.pressSequentially(PRODUCT);
    await expect.poll(() => product.getAttribute("aria-invalid"), SOON).toBeNull();
    expect(await error.textContent()).toMatch(both);
    await token.press("End");
    await token.press("Backspace");
    await expect.poll(() => error.textContent(), SOON).toBe("");
    // A token refused alone, then Product emptied and sent again: both faults, both boxes, no word of another refusal.
    await token.fill("gfe_0123456789abcdef"); // a host's enrollment code: refused for its shape, not sent
    await token.press("Enter");
    await expectRefused(token, /Not sent: the token is not a product token/);
    await product.fill("");
    await product.press("Enter");
    await expectRefused(token, /one-time enrollment code \(gfe_…\).* Enter a product too\.$/);
    expect(await description(product)).toMatch(/one-time enrollment code \(gfe_…\).* Enter a product too\.$/);
    expect(errors).toEqual([]);
    await close();
  });
});
