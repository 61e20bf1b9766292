// Deploying the dashboard on its own origin: the API base must be an origin (no path, no credentials), config.js names it, and the CSP lets the page reach exactly that API over https and wss.
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { apiOrigin, configJs, headersWithApi } from "../../scripts/dashboard-config.ts";

const HEADERS = readFileSync(path.join(import.meta.dirname, "../../dashboard/_headers"), "utf8");

describe("dashboard deploy config", () => {
  it("accepts an http(s) origin only", () => {
    expect(apiOrigin("https://gf.example.workers.dev")).toBe("https://gf.example.workers.dev");
    expect(apiOrigin("https://gf.example.workers.dev/")).toBe("https://gf.example.workers.dev");
    expect(apiOrigin(undefined)).toBe("");
    for (const bad of ["ftp://x", "https://x/api", "https://u:p@x", "https://x?y=1", "javascript:alert(1)", "nope"]) {
      expect(() => apiOrigin(bad), bad).toThrow();
    }
  });

  it("writes config.js with the API base, and extends connect-src with it (https and wss) and nothing else", () => {
    expect(configJs("https://api.example")).toContain('export const API_BASE = "https://api.example";');
    const h = headersWithApi(HEADERS, "https://api.example");
    expect(h).toContain("connect-src 'self' https://api.example wss://api.example;");
    expect(h.replace("connect-src 'self' https://api.example wss://api.example", "connect-src 'self'")).toBe(HEADERS);
    expect(headersWithApi(HEADERS, "")).toBe(HEADERS);
  });

  it("ships a dashboard CSP without inline scripts or eval, and nosniff", () => {
    expect(HEADERS).toMatch(/script-src 'self';/);
    expect(HEADERS).not.toContain("unsafe-eval");
    expect(HEADERS).toMatch(/X-Content-Type-Options: nosniff/);
    expect(HEADERS).toMatch(/frame-ancestors 'none'/);
  });
});
