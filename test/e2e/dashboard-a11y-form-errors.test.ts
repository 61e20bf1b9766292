// The dashboard's form refusals are tied to the box they are about, for a screen reader as for the eye (WCAG 3.3.1):
// in real Chromium, an empty or malformed box refused before sending — the sign-in form's Token and Product (also a
// product the coordinator does not know), a setting that is not a number, an empty lesson, a serial freeze with no
// reason, a budget ceiling that is not a number — is marked aria-invalid, its accessible description names what is
// wrong (the status line, named in its aria-describedby), focus is on it, and the mark goes once the box is edited.
// The refusals were only said in a status line elsewhere on the page; the box itself read as valid.
import { describe, expect, it } from "vitest";
import { launchChromium, newPage } from "./chromium.ts";
import { dashboardSuite, description, expectRefused, signedInPage } from "./dashboard-session.ts";
import { ADMIN } from "./harness.ts";

const PRODUCT = "a11y-forms";
/** A server answer or a page's draw on a busy two-core machine; never a delay. */
const SOON = { timeout: 30_000 };

describe("dashboard: a refused box says so itself", () => {
  const suite = dashboardSuite(PRODUCT, { createProduct: true });

  it("marks the sign-in form's empty Token, then an unknown Product, and unmarks a box once edited", async () => {
    const browser = await launchChromium();
    const { page, errors, close } = await newPage(browser, 320);
    await page.goto(`${suite.h.url}/`);
    const token = page.getByLabel("Token");
    const product = page.getByLabel("Product");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expectRefused(token, /Enter a token and a product\./);
    expect(await product.getAttribute("aria-invalid")).toBe("true");
    await token.fill(ADMIN);
    expect(await token.getAttribute("aria-invalid")).toBeNull();
    expect(await description(token)).toBe("gf_<product>_… — or the admin token");

    await product.fill("no-such-product");
    expect(await product.getAttribute("aria-invalid")).toBeNull();
    await page.getByRole("button", { name: "Sign in" }).click();
    await expectRefused(product, /No product of that name on this coordinator: check the Product field/);
    expect(await token.getAttribute("aria-invalid")).toBeNull();
    expect(errors).toEqual([]);
    await close();
    await browser.close();
  });

  it("marks a setting that is not a number, an empty lesson, a freeze with no reason and a ceiling not a number", async () => {
    const { page, errors, close } = await signedInPage(suite, ADMIN, PRODUCT, { width: 320, height: 640 });
    await page.goto(`${suite.h.url}/#/settings`);
    const ttl = page.getByLabel("Lease TTL (s)");
    const save = page.getByRole("button", { name: "Save" });
    await expect.poll(() => save.isEnabled(), SOON).toBe(true);
    await ttl.fill("");
    await save.click();
    await expectRefused(ttl, /Lease TTL \(s\): enter a number$/);
    await ttl.fill("120");
    expect(await ttl.getAttribute("aria-invalid")).toBeNull();

    await page.goto(`${suite.h.url}/#/lessons`);
    const lesson = page.getByRole("textbox", { name: /^Lesson \(/ });
    await page.getByRole("button", { name: "Add", exact: true }).click();
    await expectRefused(lesson, /Write the lesson first\.$/);

    await page.goto(`${suite.h.url}/#/jobs`);
    await page.getByLabel("Key", { exact: true }).fill("deploy");
    await page.getByRole("button", { name: "Freeze", exact: true }).click();
    const reason = page.getByLabel("Reason", { exact: true });
    await expectRefused(reason, /say why the key is frozen/);

    await page.goto(`${suite.h.url}/#/budget`);
    const ceiling = page.getByLabel("Ceiling (USD)");
    await ceiling.waitFor();
    await page.getByRole("button", { name: "Set budget" }).click();
    await expectRefused(ceiling, /^Ceiling: enter a number of dollars$/);
    expect(errors).toEqual([]);
    await close();
  });
});
