/**
 * @module scripts/dashboard-config
 * `node scripts/dashboard-config.ts --api https://<worker> [--out DIR]`: prepares the
 * dashboard for a deployment on its own origin (Cloudflare Pages, any static host): a copy
 * of `dashboard/` in DIR (default `dist/dashboard`) whose `config.js` names the API origin and
 * whose `_headers` lets the page connect to it (CSP `connect-src`, https and wss). The
 * Worker must then allow the dashboard's origin: `DASHBOARD_ORIGINS` in wrangler.toml.
 * Without `--api` the copy talks to its own origin, as the dashboard the Worker serves does.
 *
 *   node scripts/dashboard-config.ts --api https://gigafactory.example.workers.dev
 *   npx wrangler pages deploy dist/dashboard --project-name gigafactory-dashboard
 */
import { cpSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const ROOT = path.resolve(import.meta.dirname, "..");

/**
 * The API origin (`scheme://host[:port]`) of `url`, or "" for none.
 * @throws Error unless `url` is an http(s) URL with no path, query or credentials.
 */
export function apiOrigin(url: string | undefined): string {
  if (!url) return "";
  const u = new URL(url);
  if (u.protocol !== "https:" && u.protocol !== "http:") throw new Error(`--api must be http(s): ${url}`);
  if (u.username || u.password || u.search || u.hash || (u.pathname !== "/" && u.pathname !== "")) {
    throw new Error(`--api must be an origin only (scheme://host[:port]): ${url}`);
  }
  return u.origin;
}

/** `config.js` naming the API origin ("" = the page's own origin). */
export function configJs(origin: string): string {
  return [
    "// config.js — written by scripts/dashboard-config.ts: where this dashboard finds the API.",
    "",
    `/** Where this dashboard finds the API: its origin, or "" for the origin that serves the page. */`,
    `export const API_BASE = ${JSON.stringify(origin)};`,
    "",
  ].join("\n");
}

/** `_headers` with the API origin (and its WebSocket form) added to CSP `connect-src`. */
export function headersWithApi(headers: string, origin: string): string {
  const sources = origin ? `'self' ${origin} ${origin.replace(/^http/, "ws")}` : "'self'";
  const out = headers.replace(/connect-src [^;\n]*/, `connect-src ${sources}`);
  if (out === headers && !headers.includes(`connect-src ${sources}`)) {
    throw new Error("dashboard/_headers has no connect-src directive to extend");
  }
  return out;
}

function main(): void {
  const { values } = parseArgs({
    options: { api: { type: "string" }, out: { type: "string", default: path.join(ROOT, "dist", "dashboard") } },
  });
  const origin = apiOrigin(values.api);
  const out = path.resolve(values.out ?? "");
  cpSync(path.join(ROOT, "dashboard"), out, { recursive: true });
  writeFileSync(path.join(out, "config.js"), configJs(origin));
  const headersFile = path.join(out, "_headers");
  writeFileSync(headersFile, headersWithApi(readFileSync(headersFile, "utf8"), origin));
  console.log(`✔ dashboard in ${out}, API ${origin || "(same origin)"}`);
  if (origin)
    console.log('  allow its origin in wrangler.toml: DASHBOARD_ORIGINS = "https://<the dashboard\'s origin>"');
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
