/**
 * @module dashboard/token-shape
 * What is wrong with a token typed into the sign-in form that looks like a product's (`gf_<product>_<43 characters>`)
 * but is not one, told before it is sent — a mirror of src/cli/token-shape.ts `tokenShapeProblem`, which the dashboard
 * cannot import (test/unit/dashboard-token-shape.test.ts holds the two to the same verdicts). A paste cut off (`gf_demo_abc`), one
 * with something pasted after it, a secret with characters no token has, or a one-time enrollment code (`gfe_…`, a
 * host's) was sent and refused as a token the coordinator does not know — and a cut one, naming no product, was taken
 * for the admin token (the form offered "keep me signed in as admin"), as was another service's token (a GitHub
 * `ghp_…` pasted by mistake: `foreignTokenProblem`). Only the product part is ever shown. Any
 * token the coordinator cannot read at all (a blank inside, past 512 bytes) is `tokenReadProblem`'s, a mirror of
 * src/cli/token-readable.ts (test/unit/dashboard-token-readable.test.ts).
 */
import { counted } from "./format.js";

/** The characters after `gf_<product>_` in every minted token: 32 random bytes, base64url without padding. */
const SECRET_CHARS = 43;
const PREFIX = /^gf_([a-z0-9][a-z0-9-]{0,62})_(.*)$/s;

/**
 * What is wrong with `token` as a product token, in words (one sentence, no secret shown), or undefined when it is
 * one, or does not claim to be one (an admin token: the deployment's own secret, any shape).
 * @param {string} token
 * @returns {string | undefined}
 */
export function tokenShapeProblem(token) {
  const t = token.trim();
  const foreign = foreignTokenProblem(t); // a GitHub token pasted by mistake, say: never sent, never kept
  if (foreign) return foreign;
  if (t.startsWith("gfe_")) {
    return "it is a one-time enrollment code (gfe_…), which a factory's host trades for its own token, not a token to sign in with";
  }
  if (!t.startsWith("gf_")) return undefined;
  const m = PREFIX.exec(t);
  if (!m) return "it starts like a product token but is not one: a product token is gf_<product>_ then 43 characters";
  const [, product, secret = ""] = m;
  const shown = `gf_${product}_…`;
  if (!/^[A-Za-z0-9_-]*$/.test(secret)) {
    return `${shown} holds characters no token has after its product (only A–Z, a–z, 0–9, - and _)`;
  }
  if (secret.length < SECRET_CHARS) {
    return `${shown} looks cut off: it has ${counted(secret.length, "character")} after the product, where a product token has ${SECRET_CHARS}`;
  }
  if (secret.length > SECRET_CHARS) {
    return `${shown} has ${counted(secret.length, "character")} after the product, where a product token has ${SECRET_CHARS}: something was pasted with it`;
  }
  return undefined;
}

/**
 * Another service's token by its published shape, in src/shared/foreign-token.ts's words (its mirror: the dashboard
 * cannot import it; test/unit/dashboard-token-shape.test.ts holds them to the same verdicts). Such a token names no
 * product, so the form took it for the admin token: offered to keep it, and sent it to the coordinator as a bearer.
 */
const FOREIGN_SHAPES = [
  { shape: /^gh[pousr]_[A-Za-z0-9]{30,}$/, what: "a GitHub token" },
  { shape: /^github_pat_[A-Za-z0-9_]{30,}$/, what: "a GitHub fine-grained token" },
  { shape: /^glpat-[A-Za-z0-9_-]{20,}$/, what: "a GitLab token" },
  { shape: /^xox[abposr]-[A-Za-z0-9-]{10,}$/, what: "a Slack token" },
  { shape: /^npm_[A-Za-z0-9]{36}$/, what: "an npm token" },
  { shape: /^sk-ant-[A-Za-z0-9_-]{20,}$/, what: "an Anthropic API key" },
  { shape: /^sk-(proj-)?[A-Za-z0-9_-]{20,}$/, what: "an OpenAI API key" },
  { shape: /^AKIA[0-9A-Z]{16}$/, what: "an AWS access key id" },
];

/**
 * What `token` is when its shape is another service's (naming the service and its prefix only), else undefined.
 * @param {string} token
 * @returns {string | undefined}
 */
export function foreignTokenProblem(token) {
  const t = token.trim();
  const hit = FOREIGN_SHAPES.find((s) => s.shape.test(t));
  if (!hit) return undefined;
  const head = /^[A-Za-z]+[_-](?:pat_|ant-|proj-)?/.exec(t)?.[0] ?? t.slice(0, 4);
  return `it is ${hit.what} (${head}…), not a Gigafactory token`;
}

/** The most bytes of UTF-8 the coordinator reads of a token (worker/bearer-token BEARER_TOKEN_MAX_BYTES). */
export const TOKEN_MAX_BYTES = 512;

/**
 * What makes `token` (its end blanks already stripped) one the coordinator can never read, in src/cli/token-readable's
 * words (one clause, no token shown), or undefined — also for a product token's faults, `tokenShapeProblem`'s. The
 * Worker reads `Authorization: Bearer <token>` as one run of non-blank characters of at most 512 bytes: `Bearer
 * gfadmin_…` pasted whole, two words, or a longer token was sent and refused with the coordinator's 401, "send
 * Authorization: Bearer <token>" — to someone whose form sends just that.
 * @param {string} token
 * @returns {string | undefined}
 */
export function tokenReadProblem(token) {
  if (tokenShapeProblem(token) !== undefined) return undefined;
  // The Worker reads the token as one run of \S (worker/bearer-token), so any \s inside — a line break of a wrapped
  // paste too, which fetch refused with a TypeError of its own — can never be read; a NUL no header may carry.
  const blank = /[\s\0]/.exec(token);
  if (blank) {
    const first = token.slice(0, blank.index);
    const pasted = /^bearer$/i.test(first) ? `: \`${first}\` pasted with it?` : ": two words pasted together?";
    return `the token holds ${blankWord(blank[0])} at character ${blank.index + 1}, which no token has${pasted}`;
  }
  const bytes = new TextEncoder().encode(token).length;
  if (bytes <= TOKEN_MAX_BYTES) return undefined;
  return `the token is ${counted(bytes, "byte")}, past the ${TOKEN_MAX_BYTES} the coordinator reads of one`;
}

/**
 * What the character `c` that stops a token is called: a line break, a NUL, or a blank (space, tab, any other).
 * @param {string} c
 * @returns {string}
 */
function blankWord(c) {
  if (/[\r\n\u2028\u2029]/.test(c)) return "a line break";
  return c === "\0" ? "a NUL character" : "a blank";
}

/**
 * What a header cannot carry (shared/header-token's NOT_IN_HEADER, which the dashboard cannot import): a paste that
 * brings an ellipsis, a smart quote or a control character made `fetch` throw a TypeError, which the form told as a
 * coordinator it could not reach. Says `U+2026 at character 19` for the first one, in the CLI's words, else undefined.
 * @param {string} token
 * @returns {string | undefined}
 */
export function headerCharProblem(token) {
  const m = /[^\t\x20-\x7e\x80-\xff]/u.exec(token);
  if (!m) return undefined;
  const hex = (m[0].codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, "0");
  return `the token holds a character no HTTP header can carry (U+${hex} at character ${m.index + 1}); a paste may have brought it along`;
}
