/**
 * @module cli/token-shape
 * What is wrong with a token that looks like a product's (`gf_<product>_<43 characters>`, worker/auth) but is not
 * one: a paste cut off (`gf_demo_abc`), one with something pasted after it or before it (a quote, `Bearer `), a
 * secret with characters no token has, or a one-time enrollment code (`gfe_…`, a host's, not the CLI's). Read as
 * naming no product, each was refused "the token does not name a product (an admin token?)" — which sent a newcomer
 * looking for an admin token; with a product named, the coordinator's bare 401. Another service's token (a GitHub
 * `ghp_…`: shared/foreign-token) is said as that. Told before sending when no product
 * is named, else after the 401 (`refusedAsMalformed`). Only the product part of a token is ever shown, never its secret.
 */

import { counted } from "../core/counted.ts";
import { foreignTokenProblem } from "../shared/foreign-token.ts";
import { coordinatorRefused } from "../shared/http-client.ts";
import { CliError } from "./errors.ts";

/** The characters after `gf_<product>_` in every minted token: 32 random bytes, base64url without padding. */
const SECRET_CHARS = 43;
const PREFIX = /^gf_([a-z0-9][a-z0-9-]{0,62})_(.*)$/s;
/** A product token's start anywhere in a text: one found past the start had something pasted before it. */
const INSIDE = /gf_([a-z0-9][a-z0-9-]{0,62})_/;

/**
 * What is wrong with `token` as a product token, in words (one sentence, no secret shown), or undefined when it is
 * one, or does not claim to be one (an admin token: the deployment's own secret, any shape).
 */
export function tokenShapeProblem(token: string): string | undefined {
  const t = token.trim();
  const foreign = foreignTokenProblem(t); // a GitHub token pasted by mistake, say (shared/foreign-token)
  if (foreign) return foreign;
  if (t.startsWith("gfe_")) {
    return "it is a one-time enrollment code (gfe_…), which a factory's host trades for its own token, not a token for the CLI";
  }
  // A quote from a JSON or shell line, `Bearer ` or `GIGAFACTORY_TOKEN=` pasted with it: it was refused 401 "check the
  // token", or "does not name a product (an admin token?)", while the product token was right there.
  const inside = t.startsWith("gf_") ? null : INSIDE.exec(t);
  if (inside) {
    return `gf_${inside[1]}_… starts ${counted(inside.index, "character")} in: something was pasted before it (a quote, \`Bearer \`, \`NAME=\`?)`;
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

/** How to give a good token, in every refusal of a malformed one (login's and every other command's alike). */
const MALFORMED_FIX =
  "log in with an operator or viewer token, whole, as `gigafactory tokens mint` printed it (gf_<product>_ then 43 characters), or with the admin token and --product P";

/**
 * The refusal of a token whose shape `tokenShapeProblem` faults (exit 2: the caller's input), naming where it came
 * from (`--token`, `GIGAFACTORY_TOKEN`, the saved config); undefined for a token it does not fault.
 */
export function malformedToken(token: string, source: string): CliError | undefined {
  const problem = tokenShapeProblem(token);
  if (problem === undefined) return undefined;
  return new CliError("token_malformed", `the token (${source}) is not a product token: ${problem}`, MALFORMED_FIX, 2);
}

/**
 * `err` told as the token's fault when the coordinator refused the token (401 `unauthorized`) and its shape says why
 * (`malformedToken`), else `err` as it is. Every command but login said the generic "check the token" of a cut-off
 * paste once a product was named (--product, GIGAFACTORY_PRODUCT, the saved config). Told after the 401, not before
 * sending: the admin token is the deployment's own secret, of any shape, and the coordinator checks it first
 * (worker/auth) — one written `gf_ops_…` works — so only the 401 proves a token of that shape is not the admin's.
 */
export function refusedAsMalformed(err: unknown, token: string, source: string): unknown {
  const refused = coordinatorRefused(err, "unauthorized");
  return (refused && malformedToken(token, source)) || err;
}
