/**
 * @module shared/redact-secrets
 * Secrets never reach a terminal or a log shipper: `redactSecrets` is applied where a program prints (the agent's
 * output), so no message — ours, a server's detail echoing a header, a stack — can leak a token by accident.
 * What it hides: Gigafactory tokens and enrollment codes by their shape (`gf_<product>_<secret>`,
 * `gfe_<product>_<secret>`: the product stays, it is not secret and says which product was meant), the value after
 * `Bearer`, the password of a URL (`https://user:pass@host`), and any literal the caller knows to be secret (the
 * `--token` or `--code` it was given, whatever its shape).
 */

/** What a hidden secret is replaced by. */
export const REDACTED = "…";

/**
 * A token's shape (worker/auth `newToken`: 32 random bytes in base64url = 43 characters), loosened to 16+ so a token
 * pasted cut short is hidden too. Identifiers such as `gf_rate_limited` or `gf_insights` are too short to match.
 */
const TOKEN_RE = /\b(gfe?)_([a-z0-9][a-z0-9-]{0,62})_[A-Za-z0-9_-]{16,}/g;
const BEARER_RE = /\b(Bearer\s+)[^\s"']+/gi;
/** `scheme://user:password@`: the password only, the user helps tell which account was meant. */
const URL_PASSWORD_RE = /(\b[a-z][a-z0-9+.-]*:\/\/[^\s/:@]*:)[^\s/@]+@/gi;
/**
 * 8 characters: a known secret shorter than that is no credential worth hiding (the coordinator's codes and tokens
 * are 50+), and replacing every short word equal to it would mangle ordinary text.
 */
const MIN_LITERAL = 8;

/**
 * `text` with every secret replaced: `gf_acme_<secret>` → `gf_acme_…`, `Bearer x` → `Bearer …`, `//u:pw@` →
 * `//u:…@`, and each of `known` (the literal secrets in play, e.g. the `--token` given) → `…`.
 */
export function redactSecrets(text: string, known: readonly string[] = []): string {
  // Shapes first: a known `gf_acme_…` token then keeps its product, the literal pass catches whatever is left.
  let out = text
    .replace(TOKEN_RE, `$1_$2_${REDACTED}`)
    .replace(BEARER_RE, `$1${REDACTED}`)
    .replace(URL_PASSWORD_RE, `$1${REDACTED}@`);
  for (const secret of known) {
    if (secret.length < MIN_LITERAL) continue;
    // As typed, and as it reads inside a JSON string (an NDJSON line escapes quotes and backslashes).
    for (const form of new Set([secret, JSON.stringify(secret).slice(1, -1)])) out = out.split(form).join(REDACTED);
  }
  return out;
}
