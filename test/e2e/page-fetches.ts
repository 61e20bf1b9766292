// A page's own requests, for the dashboard tests that count or stand in for them: `countFetches` wraps the page's
// fetch before anything loads, so a press that sends is counted the moment it is handled (a route handler sees it
// only once the request leaves); `fulfillJson` answers a routed request as the API would, a problem+json when it
// is a refusal.
import type { Page, Route } from "playwright-core";

/**
 * Wraps the page's fetch before anything loads.
 * @returns `sent(method, suffix)`: how many `method` requests the page has made to a path ending in `suffix`
 */
export async function countFetches(page: Page) {
  // Browser code as text: the tests' TypeScript has no DOM types (as page.evaluate("…") elsewhere).
  await page.addInitScript(`{
    window.__sent = [];
    const real = window.fetch.bind(window);
    window.fetch = (input, init) => {
      const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
      window.__sent.push((init?.method ?? "GET") + " " + new URL(url, location.href).pathname);
      return real(input, init);
    };
  }`);
  return async (method: string, suffix: string) =>
    ((await page.evaluate("window.__sent")) as string[]).filter((r) => r.startsWith(`${method} `) && r.endsWith(suffix))
      .length;
}

/** Answers `route` with `body` as JSON: `application/json` below 300, else `application/problem+json`. */
export const fulfillJson = (route: Route, body: unknown, status = 200) =>
  route.fulfill({
    status,
    contentType: status < 300 ? "application/json" : "application/problem+json",
    body: JSON.stringify(body),
  });
