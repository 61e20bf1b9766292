/**
 * @module cli/coordinator-url
 * The one check of a coordinator URL the CLI is given, wherever it came from (login, flags, environment, the saved
 * config), and what a refusal names as its source and fix. Out of cli/config, which picks the layer it comes from.
 */
import { BAD_PORT_WHY, blockedPortOf } from "../shared/fetch-bad-ports.ts";
import { schemeHint } from "../shared/scheme-hint.ts";
import { echoed } from "./echoed-input.ts";
import { CliError } from "./errors.ts";

/** Where a coordinator URL came from, and how to fix a bad one there. */
export const URL_SOURCES = {
  flag: { name: "--url", fix: "pass --url http(s)://HOST[:PORT], the coordinator's base URL" },
  env: { name: "GIGAFACTORY_URL", fix: "set GIGAFACTORY_URL to http(s)://HOST[:PORT], or unset it" },
  file: {
    name: "the saved config",
    fix: "run `gigafactory login --url URL --token TOKEN` again, or set GIGAFACTORY_URL",
  },
} as const;
export type UrlSource = keyof typeof URL_SOURCES;

/**
 * The one check of a coordinator URL, wherever it came from (login, flags, environment, saved file): an absolute
 * http(s) URL, returned as origin + path without trailing slashes (`http://h:8787/`, `http://h:8787`). Anything else
 * throws a usage CliError (exit 2) naming the value (its password hidden) and its source — it is the caller's input,
 * not a CLI bug: not a URL (`notaurl`, `127.0.0.1:8787`, `http://[::1`), which must not reach `fetch` as `Invalid URL`;
 * and the parts the CLI dropped without a word, so that what it called was not what was typed: a user or password
 * (the CLI authenticates with its token only), a query or fragment (it adds its own), or a path ending in `/api/v1`
 * (it adds that too: every request was a 404).
 */
export function coordinatorUrl(raw: string, source: UrlSource): string {
  let parsed: URL | undefined;
  try {
    parsed = new URL(raw);
  } catch {
    parsed = undefined;
  }
  const { name, fix } = URL_SOURCES[source];
  const refuse = (why: string) => new CliError("bad_url", `"${echoed(shownUrl(raw))}" (${name}) ${why}`, fix, 2);
  if (!parsed || (parsed.protocol !== "http:" && parsed.protocol !== "https:"))
    throw refuse(`is not an http(s) URL${schemeHint(raw, shownUrl)}`);
  if (parsed.username || parsed.password)
    throw refuse("carries a user name or password, which the CLI never sends: it authenticates with the token alone");
  if (raw.includes("?") || raw.includes("#"))
    throw refuse("has a query or fragment (?…, #…), which the CLI would drop: it adds its own paths and queries");
  if (blockedPortOf(parsed) !== undefined) throw refuse(BAD_PORT_WHY);
  const base = parsed.pathname.replace(/\/+$/, "");
  if (/\/api\/v1$/i.test(base)) throw refuse("ends in /api/v1, which the CLI adds to every request itself");
  return parsed.origin + base;
}

/** `raw` with whatever stands between `//` and `@` hidden: a password typed into a URL is not echoed back. */
function shownUrl(raw: string): string {
  return raw.replace(/(\/\/)[^/?#]*@/, "$1…@");
}
