// Pass 45's review of fixA (dashboard/press-hold), in Debian Chromium on the real dashboard, red on the merged
// branch: a tap whose click the app drops before any page sees it — on a busy button (busy.js guardBusy) or as a
// double tap's second click (app.js), both capture listeners installed before watchPresses — still ends the press at
// that click, so a redraw asked right after it (the person's own action's answer) draws at once, not up to
// press-hold's TAP_CLICK_MS later.
import { describe, expect, it } from "vitest";
import { dashboardSuite, signedInPage } from "./dashboard-session.ts";

const PRODUCT = "pass45-review";
/** A server answer or a page's draw on a busy two-core machine; never a delay. */
const SOON = { timeout: 30_000 };

describe("pass 45 review: a tap's dropped click ends its press", () => {
  const suite = dashboardSuite(PRODUCT, { createProduct: true, tokens: true });

  it("after a tap on a busy button, and after a double tap's second click, a redraw draws at once", async () => {
    const { page, errors, close } = await signedInPage(suite, suite.tokens.operator, PRODUCT);
    await page.goto(`${suite.h.url}/#/jobs`);
    await page.locator("main").waitFor(SOON);
    // Browser code as text (the tests' TypeScript has no DOM types). The press-hold module app.js installed, by the
    // same URL; each tap dispatched and checked in one task, so nothing here depends on how fast the machine is.
    const ran = (await page.evaluate(`(async () => {
      const app = document.querySelector('script[type="module"][src$="app.js"]').src;
      const hold = await import(new URL("press-hold.js", app).href);
      const b = document.createElement("button");
      b.type = "button";
      document.body.append(b);
      const tap = (detail) => {
        const at = { bubbles: true, pointerId: 41, pointerType: "touch", isPrimary: true, button: 0 };
        b.dispatchEvent(new PointerEvent("pointerdown", at));
        b.dispatchEvent(new PointerEvent("pointerup", at));
        b.dispatchEvent(new MouseEvent("click", { bubbles: true, cancelable: true, detail }));
        let drawn = false;
        hold.afterPress(() => { drawn = true; });
        return drawn;
      };
      const plain = tap(1); // its click reached the watch: the control that the harness is sound
      b.setAttribute("aria-disabled", "true"); // busy: guardBusy drops its click
      const busy = tap(1);
      await new Promise((r) => hold.afterPress(r)); // the hold over (a state): the next tap starts with nothing held
      b.removeAttribute("aria-disabled");
      const second = tap(2); // a double tap's second click: app.js drops it
      b.remove();
      return { plain, busy, second };
    })()`)) as Record<string, boolean>;
    expect(ran).toEqual({ plain: true, busy: true, second: true });
    expect(errors).toEqual([]);
    await close();
  });
});
