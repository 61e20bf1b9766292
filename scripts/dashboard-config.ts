/**
 * @module scripts/dashboard-config
 * `npm run dashboard:config -- --api https://<worker> [--out DIR]`: prepares the
 * dashboard for a deployment on its own origin (Cloudflare Pages, any static host): a copy
 * of `dashboard/` in DIR (default `dist/dashboard`) whose `config.js` names the API origin and
 * whose `_headers` lets the page connect to it (CSP `connect-src`, https and wss). The
 * Worker must then allow the dashboard's origin: `DASHBOARD_ORIGINS` in wrangler.toml.
 * Without `--api` the copy talks to its own origin, as the dashboard the Worker serves does.
 * A bad argument (`--api ftp://x`, a bare `--api`, an `--out` that is, holds or lies in `dashboard/`) exits 2 with
 * one `✘ ERROR code: what / how to fix` line; a copy that fails exits 1 the same way.
 *
 *   npm run dashboard:config -- --api https://gigafactory.example.workers.dev
 *   npx wrangler pages deploy dist/dashboard --project-name gigafactory-dashboard
 */
import { cpSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { FixableError, failureText } from "../src/shared/fixable-error.ts";

const ROOT = path.resolve(import.meta.dirname, "..");
const DASHBOARD = path.join(ROOT, "dashboard");
const USAGE = "run `npm run dashboard:config -- --api https://<worker> [--out DIR]`";

/**
 * The API origin (`scheme://host[:port]`) of `url`, or "" for none.
 * @throws FixableError `bad_api` (exit 2) unless `url` is an http(s) URL with no path, query or credentials.
 */
export function apiOrigin(url: string | undefined): string {
  if (!url) return "";
  const fix = "pass --api https://<worker>: the API's origin only, scheme://host[:port]";
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new FixableError("bad_api", `--api "${url}" is not a URL`, fix, 2);
  }
  if (u.protocol !== "https:" && u.protocol !== "http:")
    throw new FixableError("bad_api", `--api must be http(s): ${url}`, fix, 2);
  if (u.username || u.password || u.search || u.hash || (u.pathname !== "/" && u.pathname !== "")) {
    throw new FixableError("bad_api", `--api must be an origin only (scheme://host[:port]): ${url}`, fix, 2);
  }
  return u.origin;
}

/**
 * `out` resolved, if it is apart from `dashboard/`: the copy must not overwrite the source (the same dir), copy into
 * itself (a dir inside it) or spread the dashboard's files over a dir that holds it (the repository, `/`).
 * @throws FixableError `bad_out` (exit 2) otherwise.
 */
export function outDir(out: string, dashboard = DASHBOARD): string {
  const dir = path.resolve(out);
  const inside = (a: string, b: string) => a === b || a.startsWith(`${b}${path.sep}`) || b === path.sep;
  if (inside(dir, dashboard) || inside(dashboard, dir)) {
    const what = `--out ${dir} ${dir === dashboard ? "is" : inside(dir, dashboard) ? "lies in" : "holds"} the dashboard's source (${dashboard})`;
    throw new FixableError("bad_out", what, "pass --out a directory apart from it, e.g. dist/dashboard", 2);
  }
  return dir;
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

/** The options, or a usage FixableError (exit 2) for an unknown option or one missing its value (`--api` alone). */
function options(argv: string[]): { api?: string; out: string } {
  try {
    const { values } = parseArgs({
      args: argv,
      options: { api: { type: "string" }, out: { type: "string", default: path.join(ROOT, "dist", "dashboard") } },
    });
    return { api: values.api, out: values.out ?? "" };
  } catch (err) {
    throw new FixableError("usage", (err as Error).message, USAGE, 2);
  }
}

function main(argv: string[]): void {
  const { api, out: outArg } = options(argv);
  const origin = apiOrigin(api);
  const out = outDir(outArg);
  cpSync(DASHBOARD, out, { recursive: true });
  writeFileSync(path.join(out, "config.js"), configJs(origin));
  const headersFile = path.join(out, "_headers");
  writeFileSync(headersFile, headersWithApi(readFileSync(headersFile, "utf8"), origin));
  console.log(`✔ dashboard in ${out}, API ${origin || "(same origin)"}`);
  if (origin)
    console.log('  allow its origin in wrangler.toml: DASHBOARD_ORIGINS = "https://<the dashboard\'s origin>"');
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    main(process.argv.slice(2));
  } catch (err) {
    // A bad argument carries its own line and exit 2; a copy or write that failed (permissions, a full disk) exit 1.
    console.error(failureText(err, "copy_failed", "check that --out is writable, then run it again"));
    process.exit(err instanceof FixableError ? err.exitCode : 1);
  }
}
