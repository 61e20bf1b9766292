/**
 * @module agent/credential-checks
 * What the agent checks of the URL, token and enrollment code an operator gives it before it uses them, so a
 * confused or careless command line is refused with its fix instead of failing later as a puzzle (a 401 from the
 * coordinator, a socket that never opens, a host enrolled into the wrong product). Pure: each check returns or throws
 * a shared/fixable-error FixableError (exit 2), and never puts the secret it judged into its message.
 *
 * Gigafactory's secrets name their kind and product (worker/auth `newToken`): `gf_<product>_<secret>` is a token
 * (a factory's, or an operator's), `gfe_<product>_<secret>` a one-time enrollment code. A secret of another shape
 * (an admin token, a test's stand-in) is not judged here: the coordinator decides.
 */

import { HostName } from "../shared/api.ts";
import { notAFactoryName } from "../shared/enroll-words.ts";
import { BAD_PORT_WHY, blockedPortOf } from "../shared/fetch-bad-ports.ts";
import { EXIT_USAGE, FixableError } from "../shared/fixable-error.ts";
import { assertHeaderToken } from "../shared/header-token.ts";
import { assertProductId } from "../shared/product-id-input.ts";
import { redactSecrets } from "../shared/redact-secrets.ts";
import { schemeHint } from "../shared/scheme-hint.ts";

const SECRET_RE = /^(gfe?)_([a-z0-9][a-z0-9-]{0,62})_[A-Za-z0-9_-]{43}$/;

/** `"code"` for `gfe_…`, `"token"` for `gf_…`, undefined for any other shape. */
export function secretKind(secret: string): "code" | "token" | undefined {
  if (secret.startsWith("gfe_")) return "code";
  if (secret.startsWith("gf_")) return "token";
  return undefined;
}

/** The product a well-formed `gf_…` token or `gfe_…` code names, else undefined. */
export function productOfSecret(secret: string): string | undefined {
  return SECRET_RE.exec(secret)?.[2];
}

/**
 * A fresh host's fix, said first: `enroll` stores the URL and the token for every later plain `run`, where a --token
 * given to `run` is kept nowhere (the next run is refused again, pass 46 newcomer).
 */
export const ENROLL_FIRST =
  "run `gigafactory-agent enroll --url URL --code gfe_…` first (it stores the URL and the token)";
/** How to give the agent a product id (`run`'s and `enroll`'s). */
export const PRODUCT_FIX = "pass --product with the product's id, or leave it out: the factory token names its product";

/**
 * `run`'s product: `given` (the first of --product, GIGAFACTORY_PRODUCT, the config file's product, with its source's
 * name) checked by the CLI's one rule (shared/product-id-input) before the token's — `--product UPPER` was told the
 * token is another product's, or went out and came back `validation_failed: productId` — else the token's own.
 * @throws FixableError `usage` (no product id), `wrong_product`, `product_required` (none given, none in the token): exit 2
 */
export function checkedProduct(token: string, given: [string, string] | undefined): string {
  if (given) {
    assertProductId(given[1], given[0], PRODUCT_FIX);
    assertSameProduct(token, "token", given[1], given[0]);
    return given[1];
  }
  const own = token.startsWith("gf_") ? productOfSecret(token) : undefined;
  if (own) return own;
  throw new FixableError(
    "product_required",
    "no product",
    "pass --product NAME or set GIGAFACTORY_PRODUCT",
    EXIT_USAGE,
  );
}

/**
 * The coordinator's base URL, normalised to `origin + pathname` without trailing slashes (`HTTP://Host:80/x/` →
 * `http://host/x`): the form stored and joined with `/api/v1/…`. Throws FixableError `bad_url` (exit 2) for what
 * cannot be a coordinator, judged on `raw` as given (`new URL` would quietly trim blanks and drop an empty `?` or
 * `#`): blanks or control characters anywhere, any `?` or `#`, not a URL, not http(s), no host, a user name or
 * password (the agent authenticates with its token; the password is never echoed), or the API's own path (`/api/v1`
 * in any case, which the agent adds itself). `source` names where it came from (`--url`, `GIGAFACTORY_URL`, the
 * config file).
 */
export function checkedUrl(raw: string, source: string): string {
  const fix = `pass the coordinator's base URL, e.g. --url https://gigafactory.example.workers.dev or --url http://127.0.0.1:8787`;
  // Everything up to the last `@` after the scheme goes: a malformed URL may hide its password from the URL pattern
  // (a `#`, `/`, `?` or blank in it), and it is refused before its user-info would be.
  const masked = raw.replace(/^([a-z][a-z0-9+.-]*:\/\/).*@/i, "$1…@");
  const shown = `${source} ${JSON.stringify(redactSecrets(masked))}`;
  const bad = (why: string, how = fix) => new FixableError("bad_url", `${shown} ${why}`, how, EXIT_USAGE);
  // \s covers blanks and line breaks; the C0 controls and DEL are never part of a URL either.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what is refused here
  if (/[\s\x00-\x1f\x7f]/.test(raw)) throw bad("contains a blank or control character", `remove it; ${fix}`);
  if (/[?#]/.test(raw)) throw bad("carries a query or fragment (? or #)");
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw bad(`is not a URL${schemeHint(masked)}`);
  }
  // `localhost:8787` parses, as the scheme `localhost:`: the same hint as a URL that does not parse.
  if (u.protocol !== "http:" && u.protocol !== "https:") throw bad(`is not http(s)${schemeHint(masked)}`);
  if (!u.hostname) throw bad("names no host");
  if (blockedPortOf(u) !== undefined) throw bad(BAD_PORT_WHY);
  if (u.username || u.password)
    throw bad(
      "carries a user name or password",
      `leave out user:password@ (the agent authenticates with its token); ${fix}`,
    );
  if (/\/api(\/v1)?\/*$/i.test(u.pathname))
    throw new FixableError(
      "bad_url",
      `${source} ends in ${u.pathname}: the agent adds the API path itself`,
      fix,
      EXIT_USAGE,
    );
  return `${u.origin}${u.pathname.replace(/\/+$/, "")}`;
}

/**
 * Refuses an enrollment code given where a token belongs (`--token gfe_…`, GIGAFACTORY_FACTORY_TOKEN=gfe_…), and a
 * token with a character the WebSocket's `Authorization` header cannot carry (`token_malformed`: it threw out of the
 * socket as an `internal` bug of the agent, stack and all). The WebSocket client sends the value as it is, ends too.
 */
export function assertToken(secret: string, source: string): void {
  assertHeaderToken(secret, source, "pass it as --token, in GIGAFACTORY_FACTORY_TOKEN or in the config file");
  if (secretKind(secret) !== "code") return;
  throw new FixableError(
    "token_is_code",
    `${source} holds a one-time enrollment code (gfe_…), not a factory token (gf_…)`,
    "trade the code for a token first: gigafactory-agent enroll --url URL --code gfe_… (then `run` needs no token)",
    EXIT_USAGE,
  );
}

/**
 * Refuses a token given where an enrollment code belongs (`enroll --code gf_…`, `token_is_code`), and a code that
 * cannot be one (`malformed_code`): the coordinator issues only `gfe_<product>_` and 43 characters, so a code cut
 * short by a copy from a narrow terminal was refused as a used one ("codes work once and expire"), or, without
 * `--product`, as `product_required` — neither says the paste is incomplete. Never names the code. Both exit 2.
 */
export function assertCode(secret: string, source: string): void {
  if (secretKind(secret) === "token")
    throw new FixableError(
      "token_is_code",
      `${source} holds a token (gf_…), not a one-time enrollment code (gfe_…)`,
      "pass a factory token as --token gf_…, or ask an operator for a code (`gigafactory enroll NAME` prints it)",
      EXIT_USAGE,
    );
  if (secretKind(secret) === "code" && SECRET_RE.test(secret)) return;
  throw new FixableError(
    "malformed_code",
    `${source} is not a whole enrollment code (gfe_<product>_ and 43 characters)`,
    "copy the whole code from the line `gigafactory enroll NAME` printed (a narrow terminal may have cut it), or ask an operator for a new one",
    EXIT_USAGE,
  );
}

/**
 * Refuses a token or code that names another product than the one the agent was told (`--product`, the environment
 * or the config file): the coordinator would refuse it (401) without saying why.
 */
export function assertSameProduct(secret: string, what: "token" | "code", product: string, source: string): void {
  const named = productOfSecret(secret);
  if (named === undefined || named === product) return;
  throw new FixableError(
    "wrong_product",
    `the ${what} is for product ${named}, but ${source} is ${product}`,
    `use a ${what} of ${product}, or pass --product ${named} (the ${what} alone names its product)`,
    EXIT_USAGE,
  );
}

/**
 * A token goes only to the origin (scheme, host, port) it was issued for, as `gh` and git's credential helpers scope
 * theirs: the config file's token to the config file's URL. Refuses, before any request, a `--url` or
 * GIGAFACTORY_URL (`url`, `urlSource`) on another origin than `fileUrl`, the config file's (at `file`): a typo'd or
 * stale URL would otherwise carry a live factory token to a stranger. Both URLs already passed `checkedUrl`. A token
 * given explicitly (flag, environment) is not checked: it goes where the operator says.
 * @throws FixableError `token_other_origin` (exit 2).
 */
export function assertTokenOrigin(url: string, urlSource: string, fileUrl: string, file: string): void {
  const asked = new URL(url).origin;
  const issued = new URL(fileUrl).origin;
  if (asked === issued) return;
  throw new FixableError(
    "token_other_origin",
    `the token in ${file} was issued for ${issued}, not ${asked} (${urlSource})`,
    `pass --token for ${asked}, or update "url" in ${file} if the coordinator moved`,
    EXIT_USAGE,
  );
}

/**
 * The name `enroll` registers the host under, checked as the coordinator will (shared/api HostName) before the code is
 * sent: a name it refuses came back as `enrollment failed: body.name: …` with the fix "check --url and --product",
 * which sent the operator to the wrong flags — and a host name nobody typed (from `os.hostname()`, the default) was
 * never named as the culprit. `source` says where it came from. Throws FixableError `bad_name` (exit 2).
 */
export function assertHostName(name: string, source: string): void {
  if (HostName.safeParse(name).success) return;
  throw new FixableError(
    "bad_name",
    `${source} ${notAFactoryName(name)}`,
    "pass --name NAME: the NAME the operator gave `gigafactory enroll` (the code is bound to it; it is still usable)",
    EXIT_USAGE,
  );
}

/** `hostname` (as `new URL` gives it: IPv4 normalised, IPv6 in brackets) is this machine's loopback. */
function isLoopback(hostname: string): boolean {
  const h = hostname.toLowerCase().replace(/\.$/, "");
  if (h === "localhost" || h === "[::1]") return true;
  // 127.0.0.0/8, and written as an IPv4-mapped IPv6 address (`[::ffff:127.0.0.1]` reads `[::ffff:7f00:1]`).
  return /^127\.\d+\.\d+\.\d+$/.test(h) || /^\[::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}\]$/.test(h);
}

/**
 * The warning for a coordinator URL (`checkedUrl`'s form) that carries the factory token — and, to `enroll`, the
 * one-time code and the token it is traded for — in clear text over a network: `http://` to a host that is not this
 * machine's loopback (127.0.0.0/8, ::1, localhost); `what` names what is sent ("… travels"). Undefined for https, and for loopback, which the local runtime and
 * the test rigs use. A warning, not a refusal: a coordinator behind a TLS proxy on a private link may be so on purpose.
 */
export function plainHttpWarning(url: string, what = "the factory token travels"): string | undefined {
  const u = new URL(url);
  if (u.protocol !== "http:" || isLoopback(u.hostname)) return undefined;
  return (
    `${u.origin} is plain http to another host: ${what} unencrypted, and anyone on the way can ` +
    "read it and act as this factory — use the coordinator's https:// URL (a deployed Worker serves https), or " +
    "reach it over loopback (e.g. an SSH tunnel to 127.0.0.1)"
  );
}
