// Debian's headless Chromium for the dashboard tests, launched one way everywhere: twelve test files each spelt the
// executable path and flags out, in two variants. `--no-sandbox` because CI runs as root in a container; the rest
// keep the browser from reaching beyond loopback (updates, sync, QUIC probes) while a test runs.
import {
  type APIResponse,
  type Browser,
  type BrowserContext,
  chromium,
  type Page,
  type Request,
  type Response,
  type Route,
} from "playwright-core";
import { inject } from "vitest";

/** The Debian package's binary (apt-get install chromium), as the README's test set-up installs it. */
export const CHROMIUM_PATH = "/usr/bin/chromium";

export const CHROMIUM_FLAGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--disable-quic",
];

/**
 * `route.fetch()` for a test's stand-in that reads the real answer first — tried again (3 tries in all) when a read
 * (GET or HEAD) met a closed connection before any answer: Playwright reuses a kept-alive socket the local runtime
 * may have closed meanwhile ("socket hang up"), and the handler's throw left the page's read unanswered — a CI run
 * failed waiting for a serial panel that was never drawn (pass 26). Other requests are not resent.
 */
export async function fetchRoute(route: Route): Promise<APIResponse> {
  const read = ["GET", "HEAD"].includes(route.request().method());
  for (let attempt = 1; ; attempt++) {
    try {
      return await route.fetch();
    } catch (err) {
      if (!read || attempt >= 3 || !/socket hang up|ECONNRESET|ECONNREFUSED/.test(String(err))) throw err;
    }
  }
}

/**
 * A headless Chromium; the caller closes it (`browser.close()` in its afterAll). Under the e2e run it is a connection
 * to the run's one browser (test/e2e/global-setup.ts): `close()` then closes the contexts this connection made and
 * disconnects, and the browser stays up for the other files. Otherwise (no such browser) a browser of its own.
 */
export function launchChromium(): Promise<Browser> {
  const shared = inject("e2eChromium");
  if (shared) return chromium.connect(shared);
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_FLAGS });
}

/**
 * A fresh page `width` × 800 px in its own browser context; `errors` collects its uncaught exceptions (a test ends
 * expecting none), `close` closes the context.
 */
export async function newPage(browser: Browser, width = 1280) {
  const context = await browser.newContext({ viewport: { width, height: 800 } });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  return { context, page, errors, close: () => closeContext(context) };
}

/**
 * Closes `context` once its route handlers (its own and its pages') are dropped, errors of calls in flight ignored. A
 * handler still awaiting `route.fetch()` when the context closed threw "Target page, context or browser has been
 * closed" into the run as an unhandled rejection, and vitest failed the whole e2e layer for it (CI of 8dec677e:
 * dashboard-held-answers, a page's poll read caught mid-fetch at the test's end).
 */
export async function closeContext(context: BrowserContext): Promise<void> {
  await Promise.all(context.pages().map((p) => p.unrouteAll({ behavior: "ignoreErrors" })));
  await context.unrouteAll({ behavior: "ignoreErrors" });
  await context.close();
}

/** Signs `page` in on the dashboard at `url` with `token` on `product`, and waits until it is signed in. */
export async function signIn(page: Page, url: string, token: string, product: string): Promise<void> {
  await openSignInForm(page, url);
  await page.getByLabel("Token").fill(token);
  await page.getByLabel("Product").fill(product);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("button", { name: "Sign out" }).waitFor();
}

/**
 * Opens the dashboard at `url` with its sign-in form drawn. app.js draws the form as it runs, before the page's `load`
 * (12 of 12 loaded runs: there when goto returned, 0.4–1.1 s): a form missing then is an app that never ran — one of
 * the page's ~90 files (each module, each stylesheet) did not arrive, and a module graph with one file lost runs
 * none of it. `fill` then waited its whole 30 s for a Token field that would never come (once, under load). A file
 * lost at the network (a connection the local runtime reset) gets the page loaded once more, as a reader would;
 * else, or lost again, this throws at once, naming what did not load.
 */
async function openSignInForm(page: Page, url: string): Promise<void> {
  const origin = new URL(url).origin;
  for (let attempt = 1; ; attempt++) {
    const lost: string[] = [];
    const ours = (u: string) => new URL(u).origin === origin && !new URL(u).pathname.startsWith("/api/");
    const failed = (r: Request) => {
      if (ours(r.url())) lost.push(`${new URL(r.url()).pathname} (${r.failure()?.errorText ?? "failed"})`);
    };
    const refused = (r: Response) => {
      if (ours(r.url()) && r.status() >= 400) lost.push(`${new URL(r.url()).pathname} (HTTP ${r.status()})`);
    };
    page.on("requestfailed", failed);
    page.on("response", refused);
    try {
      await page.goto(`${url}/`);
    } finally {
      page.off("requestfailed", failed);
      page.off("response", refused);
    }
    if ((await page.getByLabel("Token").count()) > 0) return;
    // A module lost cancels the graph's requests still out (net::ERR_ABORTED): the cause is the others.
    const aborted = (l: string) => l.includes("(net::ERR_ABORTED)");
    const cause = lost.some((l) => !aborted(l)) ? lost.filter((l) => !aborted(l)) : lost;
    if (attempt >= 2 || !cause.some((l) => l.includes("(net::")))
      throw new Error(
        `The dashboard at ${url}/ drew no sign-in form (loaded ${attempt} times): ${
          cause.length > 0
            ? `${cause.join(", ")} did not load`
            : "every file loaded (app.js failed, or a session was kept)"
        }`,
      );
  }
}

/**
 * Holds every `method` request to a path ending in `suffix` until `answer()`; `sent()` counts them — how a test sees
 * a second click send (or not send) a second request while the first is still out.
 */
export async function holdRequests(page: Page, method: string, suffix: string) {
  let release: () => void = () => {};
  const held = new Promise<void>((r) => {
    release = r;
  });
  let sent = 0;
  await page.route(
    (url) => url.pathname.endsWith(suffix),
    async (route: Route) => {
      if (route.request().method() !== method) return route.fallback();
      sent++;
      await held;
      await route.continue();
    },
  );
  return { answer: () => release(), sent: () => sent };
}
