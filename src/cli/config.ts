/**
 * @module cli/config
 * Where the CLI finds its coordinator, token and product. Three layers, the
 * first that says something wins: command-line flags, then environment
 * variables, then the config file written by `gigafactory login` (cli/config-file:
 * kept private, replaced whole). A URL's own check: cli/coordinator-url.
 */

import { EXIT_USAGE } from "../shared/fixable-error.ts";
import { assertHeaderToken, trimHeaderBlanks } from "../shared/header-token.ts";
import { productFromToken } from "../shared/http-client.ts";
import { assertProductId } from "../shared/product-id-input.ts";
import { type Env, readConfigObject } from "./config-file.ts";
import { coordinatorUrl, URL_SOURCES, type UrlSource } from "./coordinator-url.ts";
import { CliError } from "./errors.ts";
import { unreadableToken } from "./token-readable.ts";
import { malformedToken } from "./token-shape.ts";

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

// The file itself (where it is, reading, writing) is cli/config-file's; importers take these from here, as before.
export { configPath, type Env, writeConfigFile } from "./config-file.ts";
export { coordinatorUrl, URL_SOURCES, type UrlSource } from "./coordinator-url.ts";

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
/**
 * A fixed wait of the CLI (ms) that the environment may shorten: `env[name]` when it is a whole number of ms from 1 to
 * 999,999,999, capped at `fallback` (it may only shorten: a stray value can never lengthen a real bound), else
 * `fallback`. For tests, which would otherwise sit it out in real time (test/unit/cli-name-wait,
 * pass46-review): GIGAFACTORY_NAME_WAIT_MS (cli/factory-names) and GIGAFACTORY_AFTER_SIGNAL_MS (cli/interruption).
 */
export function waitMsFromEnv(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  return raw !== undefined && /^[1-9]\d{0,8}$/.test(raw) ? Math.min(Number(raw), fallback) : fallback;
}
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
  return secondsAsMs(raw, source);
}

/**
 * A bound in seconds as --timeout takes it (decimals allowed, 0 = no limit, at most a day), in milliseconds: one rule
 * for every such option (`--timeout`, `batch submit --wait-timeout`).
 * @throws CliError usage (exit 2) naming `source` — not a number of seconds from 0 to 86400
 */
export function secondsAsMs(raw: string, source: string, fix = "see `gigafactory --help`"): number {
  const seconds = /^(\d+(\.\d*)?|\.\d+)$/.test(raw.trim()) ? Number(raw) : Number.NaN;
  if (!Number.isFinite(seconds) || seconds > MAX_TIMEOUT_SECONDS) {
    throw new CliError(
      "usage",
      `${source} must be a number of seconds from 0 to ${MAX_TIMEOUT_SECONDS} (0 = no limit); got "${raw}"`,
      fix,
      2,
    );
  }
  // A positive bound under half a millisecond must not round to 0, which means "no limit".
  return seconds > 0 ? Math.max(1, Math.round(seconds * 1000)) : 0;
}

/**
 * The saved layer (cli/config-file `readConfigObject`): a missing file is an empty layer, an unreadable one an error
 * whose fix fits a path GIGAFACTORY_CONFIG `named`.
 */
export function readConfigFile(file: string, named = false): Layer {
  return pick(readConfigObject(file, named) ?? {});
}

/**
 * Each layer's product is the one it names, or else the one its own token names (`gf_<product>_…`), so a token
 * given on the command line brings its product along instead of inheriting a stale one from the file.
 */
function layerProduct(layer: Layer): string | undefined {
  return layer.product ?? (layer.token ? productFromToken(trimHeaderBlanks(layer.token)) : undefined);
}

/** Where the token of each layer (flags, environment, file) came from, as a refusal names it. */
const TOKEN_SOURCES = ["--token", "GIGAFACTORY_TOKEN", "the saved config"] as const;

/** Where the token `resolveConnection` takes from these layers (flags, environment, file) came from, as refusals say it. */
export function tokenSourceOf(layers: readonly [Layer, Layer, Layer]): string {
  return TOKEN_SOURCES[layers.findIndex((l) => l.token)] ?? "the saved config";
}

/**
 * The one check of a token, wherever it came from (login, flags, environment, saved file), before any request: one
 * that `fetch` cannot put in a header (judged as `fetch` sends it, its end blanks stripped) threw out of `fetch` and
 * was reported as an unreachable coordinator; one the coordinator can never read as a token (a blank inside, past its
 * length: cli/token-readable) was sent for a 401 that said to send what had been sent.
 * @throws FixableError / CliError `token_malformed`, exit 2 (shared/header-token, cli/token-readable)
 */
export function checkToken(token: string, source: string): void {
  const how = "run `gigafactory login --url URL --token TOKEN` with it, or set GIGAFACTORY_TOKEN";
  const sent = trimHeaderBlanks(token);
  assertHeaderToken(sent, source, how);
  const unreadable = unreadableToken(sent, source);
  if (unreadable) throw unreadable;
}

/**
 * Flags over environment over file; fails with the exact step that fixes what is missing, with a usage error
 * (exit 2, coordinatorUrl) for a URL that is not http(s), naming the layer it came from, and with
 * `token_other_origin` (exit 2) for the saved token bound for another origin than the saved URL's.
 * `needProduct: false` (commands above products, e.g. `products create`) yields `product: ""` when none is named.
 */
export function resolveConnection(flags: Layer, env: Layer, file: Layer, needProduct = true): Connection {
  const layers = [flags, env, file];
  const sources: UrlSource[] = ["flag", "env", "file"];
  const at = layers.findIndex((l) => l.url);
  const url = at < 0 ? undefined : coordinatorUrl(layers[at]?.url ?? "", sources[at] ?? "file");
  const tokenAt = layers.findIndex((l) => l.token);
  // As `fetch` sends it: a whole token read with a line break or a blank at an end (a CRLF file, a paste) named no
  // product, and was refused "does not name a product (an admin token?)".
  const token = trimHeaderBlanks(layers[tokenAt]?.token ?? "");
  if (token) checkToken(token, TOKEN_SOURCES[tokenAt] ?? "the saved config");
  if (url && token && tokenAt === 2 && at < 2)
    assertSavedTokenOrigin(url, URL_SOURCES[sources[at] ?? "flag"].name, file);
  const productAt = layers.findIndex((l) => layerProduct(l) !== undefined);
  const product = layerProduct(layers[productAt] ?? {});
  // A setting the command cannot run without is a usage fault, exit 2, as `login` says it and as the agent's
  // not_logged_in/product_required are: it exited 1 here, 2 from `login`, for the same code.
  if (!url || !token) {
    throw new CliError(
      "not_logged_in",
      `no coordinator ${url ? "token" : "URL"} is configured`,
      "run `gigafactory login --url URL --token TOKEN`, or set GIGAFACTORY_URL and GIGAFACTORY_TOKEN",
      EXIT_USAGE,
    );
  }
  if (!product) {
    if (!needProduct) return { url, token, product: "" };
    // A cut-off paste of a product token names no product either: said as what it is (cli/token-shape).
    throw (
      malformedToken(token, TOKEN_SOURCES[tokenAt] ?? "the saved config") ??
      new CliError(
        "product_required",
        "the token does not name a product (an admin token?) and none is configured",
        "pass --product P or set GIGAFACTORY_PRODUCT",
        EXIT_USAGE,
      )
    );
  }
  // One rule for every product id the CLI is given (shared/product-id-input): `--product UPPER` was sent, and the
  // coordinator's `validation_failed: productId: …` (exit 1) named a field nobody had typed (pass 46 newcomer).
  const productSource = layers[productAt]?.product
    ? PRODUCT_SOURCES[productAt]
    : `the token in ${TOKEN_SOURCES[productAt]}`;
  assertProductId(product, productSource ?? "the product", PRODUCT_FIX);
  if (needProduct) assertTokenServes(token, TOKEN_SOURCES[tokenAt] ?? "", product, PRODUCT_SOURCES[productAt] ?? "");
  return { url, token, product };
}

/**
 * The saved token goes only to the origin (scheme, host, port) `login` checked it against, as the agent scopes its
 * config file's token and `gh` and git's credential helpers theirs: `--url` or GIGAFACTORY_URL (`urlSource`) naming
 * another origin than the saved `url` sent the saved token — an admin's, say — to whatever a typo named. A token given
 * explicitly (--token, GIGAFACTORY_TOKEN) goes where it is told. A saved token without a readable saved URL has no
 * origin to go to but the one named, so it goes there, as before.
 * @throws CliError `token_other_origin` (exit 2), before any request
 */
function assertSavedTokenOrigin(url: string, urlSource: string, saved: Layer): void {
  let issued: string;
  try {
    issued = new URL(saved.url ?? "").origin;
  } catch {
    return;
  }
  const asked = new URL(url).origin;
  if (asked === issued) return;
  throw new CliError(
    "token_other_origin",
    `the saved token was checked against ${issued} by \`gigafactory login\`, not ${asked} (${urlSource}): it is not sent there`,
    `pass --token (or set GIGAFACTORY_TOKEN) for ${asked}, or run \`gigafactory login --url ${asked} --token TOKEN\``,
    2,
  );
}

/** Where the product of each layer (flags, environment, file) came from, as a refusal names it. */
const PRODUCT_SOURCES = ["--product", "GIGAFACTORY_PRODUCT", "the saved config"] as const;

/** How to give a product id, in every CLI refusal of one that is none (shared/product-id-input). */
export const PRODUCT_FIX =
  "pass --product with a product's id as `gigafactory products` lists it, or set GIGAFACTORY_PRODUCT to one";

/**
 * Refuses a product token (`gf_<product>_…`) sent for another product, before any request: the coordinator refuses
 * it anyway (403 forbidden, "this token belongs to another product"), and that did not say which setting was stale —
 * a GIGAFACTORY_PRODUCT left from another shell, a --product typed over a saved login of another product. An admin
 * token names no product and serves any. `productSource` says where the product came from (a flag, a variable, or
 * the layer's own token). FixableError `token_product_mismatch`, exit 2.
 */
export function assertTokenServes(token: string, tokenSource: string, product: string, productSource: string): void {
  const serves = productFromToken(trimHeaderBlanks(token));
  if (serves === undefined || serves === product) return;
  throw new CliError(
    "token_product_mismatch",
    `the token (${tokenSource}) is product ${serves}'s, but ${productSource} names product ${product}`,
    // The variable is named only when it is where the product came from: after an explicit --product it misled.
    `pass --product ${serves}, or a token of ${product} (\`gigafactory login --url URL --token TOKEN\`)${productSource === "GIGAFACTORY_PRODUCT" ? "; unset GIGAFACTORY_PRODUCT if it is left from elsewhere" : ""}`,
    2,
  );
}
