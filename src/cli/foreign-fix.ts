/**
 * @module cli/foreign-fix
 * What the CLI advises for a refusal no advice of a problem code fits: another server's answer (a proxy's, an access
 * gateway's, another service's at the URL — a page, or JSON that is not the coordinator's problem+json even when it
 * names a code, shared/problem-words isCoordinatorProblem), an empty one, or the coordinator's with a code this CLI
 * does not know. Used by cli/errors toCliError.
 */
import { ApiError } from "../shared/http-client.ts";

/**
 * Whether `err` is a refusal the coordinator did not write (not its problem+json: `ApiError.fromCoordinator`), whose
 * `code` — even one of the coordinator's, `validation_failed`, `invalid_manifest` — says nothing of the coordinator's:
 * what reads a coordinator's refusal closer (a field named as its flag, a key's likely spelling) leaves it as it is.
 */
export function foreignRefusal(err: unknown): err is ApiError {
  return err instanceof ApiError && !err.fromCoordinator;
}

/** A wrong URL: another service answered 404, or the Worker serves no such path (worker/app notFound). */
export const WRONG_URL_FIX =
  "check --url / GIGAFACTORY_URL: the coordinator's base URL, e.g. http://127.0.0.1:8787, without /api/v1 (`gigafactory login` saves it)";

/** Why an answer is no coordinator's: the one shape every refusal of its has (shared/problem-words). */
const NOT_OURS = "the answer is not a Gigafactory problem, so the coordinator did not write it";

/**
 * A 4xx that is not a problem of the coordinator's is another server's — a proxy's or an access gateway's page or
 * JSON, or another service at the URL (a 404 there: WRONG_URL_FIX). "see `gigafactory --help`" sent `gigafactory
 * login` against the wrong host to the help of a command it had typed right.
 */
const NOT_A_COORDINATOR_FIX = `${NOT_OURS}: check --url / GIGAFACTORY_URL, and any proxy or access gateway in front of it`;

/** A 5xx another server wrote: a proxy's, a gateway's or the platform's page or JSON, or another service at the URL. */
const FOREIGN_FAILURE_FIX =
  "retry; if it persists, check --url / GIGAFACTORY_URL and any proxy in front of the coordinator, then its logs";

/** A problem of the coordinator's with a code this CLI has no advice for: a coordinator newer than it. */
const NEWER_CODE_FIX = "act on the detail above; a newer CLI may say more (`gigafactory --version`)";

/**
 * A refusal whose body the coordinator did not write: a page (its text), or JSON that is not its problem+json
 * (`{"error": "…"}`, `{}`, a proxy's `{"code": "bad_gateway"}`), whose code is not its to advise on. An empty body is
 * not judged.
 */
export function foreignBody(err: ApiError): boolean {
  if (typeof err.body === "string") return err.body !== "";
  return err.body !== null && !err.fromCoordinator;
}

/**
 * What to do about another server's refusal. A page's message, or JSON's naming no problem, says it was none of the
 * coordinator's already (shared/http-transport apiErrorOf: "not a Gigafactory answer: …"); JSON's own words do not.
 */
export function foreignFix(err: ApiError): string {
  if (err.status === 404) return WRONG_URL_FIX;
  if (err.status < 500) return NOT_A_COORDINATOR_FIX;
  return err.detail.startsWith("not a Gigafactory answer")
    ? FOREIGN_FAILURE_FIX
    : `${NOT_OURS}: ${FOREIGN_FAILURE_FIX}`;
}

/**
 * The advice for a refusal whose code has none of its own (cli/errors FIXES): a 5xx the coordinator's failure, a
 * problem of the coordinator's a code newer than this CLI, else (an empty body) by its status as another server's.
 */
export function unadvisedFix(err: ApiError): string {
  if (err.status >= 500) return "the coordinator failed; retry, and check its logs if it persists";
  if (err.fromCoordinator) return NEWER_CODE_FIX;
  return err.status === 404 ? WRONG_URL_FIX : NOT_A_COORDINATOR_FIX;
}
