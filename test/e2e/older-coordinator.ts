/**
 * A browser page (or every page of a context) meeting a coordinator older than `GET …/whoami`: each whoami is
 * answered 404 "no route", as such a Worker answers it (worker/method-not-allowed). The dashboard then cannot tell the
 * token's role and offers every control as it did before whoami (dashboard/role.js) — how the tests of what a refused
 * click says (a viewer's 403 shown as the server words it) keep meeting that refusal.
 */
import type { BrowserContext, Page } from "playwright-core";

export async function withoutWhoami(target: Page | BrowserContext): Promise<void> {
  await target.route(
    (url) => url.pathname.endsWith("/whoami"),
    (route) =>
      route.fulfill({
        status: 404,
        contentType: "application/problem+json",
        body: JSON.stringify({
          type: "about:blank",
          title: "Not found",
          status: 404,
          detail: `no route for GET ${new URL(route.request().url()).pathname}`,
          code: "not_found",
        }),
      }),
  );
}
