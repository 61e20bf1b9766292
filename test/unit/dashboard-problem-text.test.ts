// What a refused request says on the dashboard (dashboard/problem-text.js, dashboard/api.js `describeError`): a
// `Retry-After` is read as seconds or an HTTP-date and capped at 300 s; the server's title and detail are cut to 400
// graphemes (never splitting one) and isolated when they hold a bidi control; a code not of the API's shape is not
// shown; the advice follows the status and code — a lost connection on a write says to look before sending again, a
// 429 `limit_exceeded` without a wait says to remove some, with one (a rate limit) when to try again, and a
// `conflict` adds nothing to the server's own words. On the sign-in form a refusal is about what was typed: an unknown
// product says to check the Product field, not "check the link, or the list it came from" (there is no link).
import { describe, expect, it } from "vitest";
// @ts-expect-error plain browser JavaScript, typed by JSDoc only
import { ApiError, describeError } from "../../dashboard/api.js";
// @ts-expect-error plain browser JavaScript, typed by JSDoc only
import { advice, problemCode, problemText, retryAfterSeconds } from "../../dashboard/problem-text.js";

const NOW = Date.UTC(2026, 11, 5, 6, 0, 0);

describe("dashboard: a refusal in words", () => {
  it("reads Retry-After as seconds or a date, capped, and 0 when there is none", () => {
    expect(retryAfterSeconds("7", NOW)).toBe(7);
    expect(retryAfterSeconds(new Date(NOW + 30_000).toUTCString(), NOW)).toBe(30);
    expect(retryAfterSeconds("86400", NOW)).toBe(300);
    for (const none of [null, "", "0", "-5", "soon", new Date(NOW - 60_000).toUTCString()])
      expect(retryAfterSeconds(none, NOW), String(none)).toBe(0);
  });

  it("cuts someone's words by graphemes and isolates a bidi override", () => {
    const cut: string = problemText("😀".repeat(1_000));
    expect(Array.from(cut)).toHaveLength(400); // 399 emoji and "…": no emoji split into a lone surrogate
    expect(cut.endsWith("😀…")).toBe(true);
    expect(problemText("\u202eevil")).toBe("\u2068\u202eevil\u2069");
    expect(problemText("plain words")).toBe("plain words");
    expect(problemCode("forbidden")).toBe("forbidden");
    expect(problemCode("x\n✔ all good")).toBe("");
  });

  it("says what to do by status and code", () => {
    const of = (status: number, code: string, retryAfterS = 0, method = "POST") =>
      advice({ status, code, retryAfterS, method });
    expect(of(0, "network", 0, "GET")).toMatch(/^Check the network/);
    expect(of(0, "network")).toMatch(/may have reached the coordinator/);
    expect(of(503, "unavailable", 5)).toBe("Try again in 5 s.");
    expect(of(503, "unavailable")).toBe("Try again in a moment.");
    expect(of(429, "limit_exceeded")).toMatch(/^A product-wide limit is reached/);
    expect(of(429, "limit_exceeded", 60)).toBe("Try again in 60 s.");
    expect(of(403, "forbidden")).toMatch(/operator token/);
    expect(of(404, "not_found", 0, "GET")).toMatch(/^It no longer exists/);
    expect(of(409, "conflict")).toBe("");
    expect(of(409, "constructor")).toBe(""); // the server's code, never an inherited member of the table
    expect(of(502, "")).toMatch(/^Try again in a moment\. If it persists/);
    const err = new ApiError(403, "Not allowed", "yours is a viewer token", "forbidden", { method: "POST" });
    expect(describeError(err)).toBe(
      "Not allowed — yours is a viewer token (forbidden). Your token's role does not allow this: sign out and sign in with an operator token.",
    );
  });

  it("says what to do on the sign-in form in its own words, and a link's elsewhere", () => {
    const unknown = new ApiError(404, "Not found", "product nope was not found", "not_found", {
      body: { what: "product" },
    });
    expect(describeError(unknown)).toMatch(/check the link, or the list it came from\.$/);
    const atSignIn: string = describeError(unknown, "signin");
    expect(atSignIn).toBe(
      "Not found — product nope was not found (not_found). No product of that name on this coordinator: check the Product field (a product token fills it in).",
    );
    expect(atSignIn).not.toMatch(/link/);
    expect(describeError(new ApiError(401, "Authentication required", "", "unauthorized"), "signin")).toMatch(
      /does not know this token/,
    );
    // What the form has no better words for keeps the page's: a 503 still says when to try again.
    expect(describeError(new ApiError(503, "Busy", "", "unavailable", { retryAfterS: 4 }), "signin")).toBe(
      "Busy (unavailable). Try again in 4 s.",
    );
  });
});
