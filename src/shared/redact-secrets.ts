/**
 * @module shared/redact-secrets
 * Secrets never reach a terminal or a log shipper: `redactSecrets` is applied where a program prints (the agent's
 * output), so no message — ours, a server's detail echoing a header, a stack — can leak a token by accident.
 * What it hides: Gigafactory tokens and enrollment codes by their shape (`gf_<product>_<secret>`,
 * `gfe_<product>_<secret>`: the product stays, it is not secret and says which product was meant), the value after
 * `Bearer`, an `Authorization` header's value in any other scheme (`Basic`, `token`, …), the password of a URL
 * (`https://user:pass@host`) and a long user standing in for one (`https://<token>@host`), the value of a query
 * parameter named for a secret (`?access_token=…`, `&api_key=…`, `X-Amz-Signature=…`), and any literal the caller
 * knows to be secret (the `--token` or `--code` it was given, whatever its shape), in any form (shared/redact-known).
 */
import { hideKnown } from "./redact-known.ts";

/** What a hidden secret is replaced by. */
export const REDACTED = "…";

/**
 * A token's shape (worker/auth `newToken`: 32 random bytes in base64url = 43 characters), loosened to 16+ so a token
 * pasted cut short is hidden too, where it starts a word. Identifiers such as `gf_rate_limited` or `gf_insights` are
 * too short to match, and a key like `import_gf_batch_2024_01_01_item_0001` starts no word, so it is left alone.
 */
const TOKEN_RE = /(?<![A-Za-z0-9_])(gfe?)_([a-z0-9][a-z0-9-]{0,62})_[A-Za-z0-9_-]{16,}/g;
/**
 * A whole token glued to what comes before it (`x_gf_acme_…`, or `\ngf_acme_…` as it reads in a JSON line, where the
 * character before is the letter `n`): exactly the 43 characters, so ordinary words containing `gf_` are not hit.
 */
const GLUED_TOKEN_RE = /(gfe?)_([a-z0-9][a-z0-9-]{0,62})_[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])/g;
/** `Bearer <value>` as a word: `standardbearer` is not a header. */
const BEARER_RE = /\b(Bearer\s+)[^\s"']+/gi;
/**
 * `scheme://user:password@`: the password only, the user helps tell which account was meant. The password runs to
 * the LAST `@` of the authority (which ends at `/`, `?`, `#`, a blank or a quote): an unescaped `@` in it
 * (`u:p@ss@host`) is the password's, not the host's.
 */
const URL_PASSWORD_RE = /(\b[a-z][a-z0-9+.-]*:\/\/[^\s/?#:@"'<>]*:)[^\s/?#"'<>]*@/gi;
/**
 * An `Authorization` (or `Proxy-Authorization`) header's value after a scheme other than Bearer (which BEARER_RE hides
 * wherever it stands), as a header line or a JSON field (escaped too, as JSON quoted in a line reads):
 * `Authorization: Basic dXNlcjpw…`, GitHub's `token ghp_…`.
 * Only after the header's name and a scheme: "authorization failed: basic checks" is ordinary text.
 */
const AUTH_SCHEME_RE =
  /(\b(?:proxy-)?authorization\\?["']?\s*[:=]\s*\\?["']?(?:basic|token|digest|negotiate|ntlm|aws4-hmac-sha256)\s+)[^\s"'\\]+/gi;
/**
 * A URL's user with no password, when it is long enough to be a token (`https://ghp_…@github.com`, the form git hosts
 * document): 20+ characters. A real user name (`git@`, `bob@`) is shorter and stays, as it does before a password.
 */
const URL_TOKEN_USER_RE = /(\b[a-z][a-z0-9+.-]*:\/\/)[A-Za-z0-9._~%!$&'()*+,;=-]{20,}@/gi;
/**
 * A query parameter named for a secret — `token`, `secret`, `password`, `passwd`, `pwd`, `key`, `apikey`, `sig`,
 * `signature`, `code`, `auth`, `credential`, alone or as a name's last word (`access_token`, `client-secret`,
 * `X-Amz-Signature`, `api_key`) — its value up to the next `&`, `#`, blank or quote.
 */
const QUERY_SECRET_RE =
  /([?&;](?:[\w.~-]*[_.-])?(?:token|secret|password|passwd|pwd|key|apikey|sig|signature|code|auth|credentials?)=)[^&#\s"'<>]+/gi;
/**
 * `text` with every secret replaced: `gf_acme_<secret>` → `gf_acme_…`, `Bearer x` → `Bearer …`, `Authorization:
 * Basic x` → `Authorization: Basic …`, `//u:pw@` → `//u:…@`, `//<token>@` → `//…@`, `?access_token=x` →
 * `?access_token=…`, and each of `known` (the literal secrets in play, e.g. the `--token` given; 8 characters or
 * more) → `…`, JSON-escaped or URL-encoded too, and its start where an echo cut it short (shared/redact-known).
 */
export function redactSecrets(text: string, known: readonly string[] = []): string {
  // Known literals first, in every form an echo may carry them (JSON-escaped, URL-encoded, cut short:
  // shared/redact-known), a `gf_acme_…` one keeping its product: a shape hides only part of a token of another
  // shape (`Bearer admin secret` up to the blank), and what it left no longer reads as the token.
  return hideKnown(text, known)
    .replace(TOKEN_RE, `$1_$2_${REDACTED}`)
    .replace(GLUED_TOKEN_RE, `$1_$2_${REDACTED}`)
    .replace(BEARER_RE, `$1${REDACTED}`)
    .replace(AUTH_SCHEME_RE, `$1${REDACTED}`)
    .replace(URL_PASSWORD_RE, `$1${REDACTED}@`)
    .replace(URL_TOKEN_USER_RE, `$1${REDACTED}@`)
    .replace(QUERY_SECRET_RE, `$1${REDACTED}`);
}

/**
 * `value` with `redactSecrets` applied to every string in it, however deep (array items, object values; keys and
 * non-strings as they are), for a structure about to be serialised: redacting the serialised text instead misses a
 * secret after an escaped character. A new value; `value` is not changed. Cycles and depth past 16 become `"…"`.
 */
export function redactDeep(value: unknown, known: readonly string[] = [], depth = 0): unknown {
  if (typeof value === "string") return redactSecrets(value, known);
  if (value === null || typeof value !== "object") return value;
  if (depth >= 16) return REDACTED;
  // What JSON.stringify would write (a Date's ISO string), not the object's own keys.
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === "function") return redactDeep(toJSON.call(value), known, depth + 1);
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, known, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactDeep(v, known, depth + 1)]));
}
