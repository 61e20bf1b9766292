/**
 * @module cli/config
 * Where the CLI finds its coordinator, token and product. Three layers, the
 * first that says something wins: command-line flags, then environment
 * variables, then the config file written by `gigafactory login`. The file
 * holds a secret, so it is written 0600 (in a 0700 directory) and replaced
 * atomically, never left half-written.
 */
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import path from "node:path";
import { assertHeaderToken, trimHeaderBlanks } from "../shared/header-token.ts";
import { productFromToken } from "../shared/http-client.ts";
import { CliError } from "./errors.ts";

export interface Layer {
  url?: string;
  token?: string;
  product?: string;
}

export interface Connection {
  url: string;
  token: string;
  product: string;
}

export type Env = Readonly<Record<string, string | undefined>>;

/** `$GIGAFACTORY_CONFIG`, else `$XDG_CONFIG_HOME/gigafactory/config.json`, else `~/.config/gigafactory/config.json`. */
export function configPath(env: Env): string {
  if (env.GIGAFACTORY_CONFIG) return env.GIGAFACTORY_CONFIG;
  const base = env.XDG_CONFIG_HOME || path.join(env.HOME || homedir(), ".config");
  return path.join(base, "gigafactory", "config.json");
}

export function envLayer(env: Env): Layer {
  return pick({ url: env.GIGAFACTORY_URL, token: env.GIGAFACTORY_TOKEN, product: env.GIGAFACTORY_PRODUCT });
}

/** Only non-empty strings count: `GIGAFACTORY_TOKEN=` in a shell means "not set", not "empty token". */
function pick(layer: Record<keyof Layer, unknown>): Layer {
  const out: Layer = {};
  for (const key of ["url", "token", "product"] as const) {
    const v = layer[key];
    if (typeof v === "string" && v !== "") out[key] = v;
  }
  return out;
}

/** Seconds an answer may take to start when neither --timeout nor GIGAFACTORY_TIMEOUT says. */
export const DEFAULT_TIMEOUT_SECONDS = 30;
/** One day: a larger bound is a typo, and 0 already means "no limit". */
const MAX_TIMEOUT_SECONDS = 86_400;

/**
 * The response-start bound in milliseconds, from `--timeout` (seconds, decimals allowed) over
 * `GIGAFACTORY_TIMEOUT` over 30 s; 0 = no limit. Throws a usage CliError (exit 2) naming the source of a value
 * that is not a number from 0 to 86400.
 */
export function responseTimeoutMs(flag: string | undefined, env: Env): number {
  const fromEnv = env.GIGAFACTORY_TIMEOUT === "" ? undefined : env.GIGAFACTORY_TIMEOUT;
  const [raw, source] = flag !== undefined ? [flag, "--timeout"] : [fromEnv, "GIGAFACTORY_TIMEOUT"];
  if (raw === undefined) return DEFAULT_TIMEOUT_SECONDS * 1000;
  const seconds = /^(\d+(\.\d*)?|\.\d+)$/.test(raw.trim()) ? Number(raw) : Number.NaN;
  if (!Number.isFinite(seconds) || seconds > MAX_TIMEOUT_SECONDS) {
    throw new CliError(
      "usage",
      `${source} must be a number of seconds from 0 to ${MAX_TIMEOUT_SECONDS} (0 = no limit); got "${raw}"`,
      "see `gigafactory --help`",
      2,
    );
  }
  // A positive bound under half a millisecond must not round to 0, which means "no limit".
  return seconds > 0 ? Math.max(1, Math.round(seconds * 1000)) : 0;
}

/** The saved layer; a missing file is an empty layer, an unreadable one an error naming the file. */
export function readConfigFile(file: string): Layer {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return {};
    throw new CliError("config_unreadable", `cannot read ${file}: ${(err as Error).message}`, "fix its permissions");
  }
  try {
    const parsed = JSON.parse(text) as unknown;
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new Error("not a JSON object");
    return pick(parsed as Record<keyof Layer, unknown>);
  } catch (err) {
    // Without the text V8 quotes from around the fault (`Unexpected token 'a', "{"token":admin-secr"... is not valid
    // JSON`): it is the file's, which holds the token — one left unquoted was printed in part.
    const why = (err as Error).message.replace(/, (?:\.\.\.)?".*"(?:\.\.\.)? is not valid JSON$/s, ", not valid JSON");
    throw new CliError(
      "config_invalid",
      `${file} is not a valid config: ${why}`,
      "run `gigafactory login` again, or delete the file",
    );
  }
}

/** Writes `{url, token, product}` readable by the owner only; chmod also tightens a file that already existed. */
export function writeConfigFile(file: string, conn: Connection): void {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify({ url: conn.url, token: conn.token, product: conn.product }, null, 2)}\n`, {
    mode: 0o600,
  });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
}

/**
 * Each layer's product is the one it names, or else the one its own token names (`gf_<product>_…`), so a token
 * given on the command line brings its product along instead of inheriting a stale one from the file.
 */
function layerProduct(layer: Layer): string | undefined {
  return layer.product ?? (layer.token ? productFromToken(layer.token) : undefined);
}

/** Where the token of each layer (flags, environment, file) came from, as a refusal names it. */
const TOKEN_SOURCES = ["--token", "GIGAFACTORY_TOKEN", "the saved config"] as const;

/**
 * The one check of a token, wherever it came from (login, flags, environment, saved file), before any request: one
 * that `fetch` cannot put in a header (judged as `fetch` sends it, its end blanks stripped) threw out of `fetch` and
 * was reported as an unreachable coordinator. FixableError `malformed_token`, exit 2 (shared/header-token).
 */
export function checkToken(token: string, source: string): void {
  const how = "run `gigafactory login --url URL --token TOKEN` with it, or set GIGAFACTORY_TOKEN";
  assertHeaderToken(trimHeaderBlanks(token), source, how);
}

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
 * (`notaurl`, `127.0.0.1:8787`, `http://[::1`) throws a usage CliError (exit 2) naming the value and its source —
 * it is the caller's input, not a CLI bug, and must not reach `fetch` as `Invalid URL`.
 */
export function coordinatorUrl(raw: string, source: UrlSource): string {
  let parsed: URL | undefined;
  try {
    parsed = new URL(raw);
  } catch {
    parsed = undefined;
  }
  if (!parsed || (parsed.protocol !== "http:" && parsed.protocol !== "https:")) {
    const { name, fix } = URL_SOURCES[source];
    throw new CliError("usage", `"${raw}" (${name}) is not an http(s) URL`, fix, 2);
  }
  return parsed.origin + parsed.pathname.replace(/\/+$/, "");
}

/**
 * Flags over environment over file; fails with the exact step that fixes what is missing, and with a usage error
 * (exit 2, coordinatorUrl) for a URL that is not http(s), naming the layer it came from.
 * `needProduct: false` (commands above products, e.g. `products create`) yields `product: ""` when none is named.
 */
export function resolveConnection(flags: Layer, env: Layer, file: Layer, needProduct = true): Connection {
  const layers = [flags, env, file];
  const sources: UrlSource[] = ["flag", "env", "file"];
  const at = layers.findIndex((l) => l.url);
  const url = at < 0 ? undefined : coordinatorUrl(layers[at]?.url ?? "", sources[at] ?? "file");
  const tokenAt = layers.findIndex((l) => l.token);
  const token = layers[tokenAt]?.token;
  if (token) checkToken(token, TOKEN_SOURCES[tokenAt] ?? "the saved config");
  const product = layers.map(layerProduct).find((p) => p !== undefined);
  if (!url || !token) {
    throw new CliError(
      "not_logged_in",
      `no coordinator ${url ? "token" : "URL"} is configured`,
      "run `gigafactory login --url URL --token TOKEN`, or set GIGAFACTORY_URL and GIGAFACTORY_TOKEN",
    );
  }
  if (!product) {
    if (!needProduct) return { url, token, product: "" };
    throw new CliError(
      "product_required",
      "the token does not name a product (an admin token?) and none is configured",
      "pass --product P or set GIGAFACTORY_PRODUCT",
    );
  }
  return { url, token, product };
}
