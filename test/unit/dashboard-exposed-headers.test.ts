// Every response header the dashboard reads is one a browser lets it read when the dashboard is deployed apart from
// the API (Pages on its own origin): a header outside the CORS-safelisted ones must be in worker/browser-policy
// EXPOSED_HEADERS, or `headers.get` answers null there while it works same-origin. The dashboard's Retry-After hold
// read `retry-after` with it missing: deployed apart, every panel polled through the coordinator's 503s.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { EXPOSED_HEADERS } from "../../src/worker/browser-policy.ts";

/** Fetch's CORS-safelisted response header names (WHATWG Fetch §"CORS-safelisted response-header name"). */
const SAFELISTED = [
  "cache-control",
  "content-language",
  "content-length",
  "content-type",
  "expires",
  "last-modified",
  "pragma",
];
const DASHBOARD = path.resolve(import.meta.dirname, "../../dashboard");

function headersRead(): Array<{ file: string; name: string }> {
  const read: Array<{ file: string; name: string }> = [];
  for (const file of readdirSync(DASHBOARD).filter((f) => f.endsWith(".js"))) {
    const text = readFileSync(path.join(DASHBOARD, file), "utf8");
    for (const m of text.matchAll(/headers\.get\(\s*["'`]([^"'`]+)["'`]\s*\)/g))
      read.push({ file, name: (m[1] ?? "").toLowerCase() });
  }
  return read;
}

describe("the response headers the dashboard reads", () => {
  it("are safelisted or exposed by the API's CORS policy", () => {
    const exposed = EXPOSED_HEADERS.split(",").map((h) => h.trim().toLowerCase());
    const read = headersRead();
    expect(read.map((r) => r.name)).toContain("retry-after"); // the walk finds what api.js reads
    const hidden = read.filter((r) => !SAFELISTED.includes(r.name) && !exposed.includes(r.name));
    expect(hidden).toEqual([]);
  });
});
