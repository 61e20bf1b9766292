/**
 * @module cli/errors
 * Every failure the CLI reports is one `CliError` — the agent's and `npm start`'s FixableError
 * (shared/fixable-error): a stable code, what happened, and how to fix it, printed as the workers-sdk style one-liner
 * `✘ ERROR code: what happened / how to fix it`. Usage errors exit 2 so a
 * script can tell "you called me wrong" from "the operation failed" (exit 1).
 */

import { FixableError as CliError, EXIT_USAGE, errorLine } from "../shared/fixable-error.ts";
import { ApiError, BadAnswerError, ConnectionError, ResponseTimeoutError } from "../shared/http-client.ts";
import { nearestName } from "../shared/nearest-name.ts";
import { hideKnown } from "../shared/redact-known.ts";
import { redactSecrets } from "../shared/redact-secrets.ts";
import { groupCommandHint, synonymHint } from "./command-synonyms.ts";
import { echoed, quotedInput } from "./echoed-input.ts";
import { foreignBody, foreignFix, unadvisedFix, WRONG_URL_FIX } from "./foreign-fix.ts";
import { timeoutError } from "./timeout-error.ts";

/** `new CliError(code, what, fix, exitCode = 1)`: the shared FixableError under the name the CLI's code uses. */
export { CliError };

/** A command line that cannot be run as written: exit 2. */
export function usageError(what: string, command?: string): CliError {
  const help = command ? `gigafactory ${command} --help` : "gigafactory --help";
  return new CliError("usage", what, `see \`${help}\``, EXIT_USAGE);
}

/**
 * `unknown command "jbos"; did you mean "jobs"?` — the nearest of `commands` (first words), when one is a typo away;
 * a word a newcomer types for a command spelt otherwise (`why`: cli/command-synonyms) gets that command as its fix.
 */
export function unknownCommand(word: string, commands: readonly { path: readonly string[] }[]): CliError {
  const synonym = synonymHint(word);
  if (synonym) return new CliError("usage", `unknown command "${echoed(word)}"`, synonym.fix, EXIT_USAGE);
  const inGroup = groupCommandHint(word, commands);
  if (inGroup)
    return new CliError("usage", `unknown command "${echoed(word)}"; ${inGroup.meant}`, inGroup.fix, EXIT_USAGE);
  const near = nearestName(word, [...new Set(commands.map((c) => c.path[0] as string))]);
  return usageError(`unknown command "${echoed(word)}"${near ? `; did you mean "${near}"?` : ""}`);
}

/**
 * Refuses `id` unless the API's own `rule` (its zod path-parameter schema) takes it: a usage error (exit 2) that
 * says what it is not (`what`, e.g. "an alert id (al_…)") and where to copy a real one (`find`). Sent, a malformed id
 * came back "fix the value named above" — with no way to find a real one.
 * @throws CliError usage
 */
export function assertIdShape(
  rule: { safeParse(v: unknown): { success: boolean } },
  id: string,
  what: string,
  find: string,
): void {
  if (!rule.safeParse(id).success) throw new CliError("usage", `${quotedInput(id)} is not ${what}`, find, EXIT_USAGE);
}

/** What an operator can do about each API error code; unknown codes get the generic advice. */
const FIXES: Record<string, string> = {
  unauthorized: "check the token, or run `gigafactory login --url URL --token TOKEN` again",
  forbidden: "use a token with the needed role for this product (an admin can `gigafactory tokens mint`)",
  not_found: "check the id (`gigafactory jobs`, `gigafactory factories`) and the product",
  illegal_transition: "look at the job's current stage with `gigafactory job ID`",
  invalid_manifest: "fix the manifest and submit it again",
  validation_failed: "fix the value named above and try again",
  conflict: "the target is in a state that forbids this; inspect it and retry",
  fenced: "the lease moved on; re-read the job before acting",
  budget_exceeded:
    "raise the job's budget above what it spent with the requeue (`gigafactory requeue ID --budget-usd N` or --budget-tokens N)",
  ancestor_cancelled:
    "the job named above was cancelled, and its subtree with it (`gigafactory tree ID` shows it): submit this job's work as a new job if it is still wanted",
  not_lease_holder: "only the factory holding the lease can do this",
  too_many_artifacts:
    "the job holds the most artifacts it may, uploads in flight counted (the detail says the limit): upload under a name it already has, which replaces it (`gigafactory artifacts ID` lists them), or retry once an upload in flight ends",
  identical_arms:
    "give the two arms different policies: e.g. `--b-prefer FACTORY_ID` or `--b-avoid FACTORY_ID` on `gigafactory routing experiment start`",
  dead_letter_malformed:
    "its body is not a message its queue takes: read it with `gigafactory dead-letters show ID` and act on it by hand; the dead letter is kept",
  dead_letter_not_redrivable:
    "it cannot go back to its queue (the detail says why): a webhook delivery can once the product has a webhook again (PUT …/webhook); anything else is in `gigafactory dead-letters show ID` to submit or apply by hand",
  unknown_engine:
    "name an engine the factory declared (the detail lists them; `gigafactory factories` shows each one's breakers)",
  feed_purged: "retention removed this job's feed and artifacts; submit a new job for new work",
  payload_too_large: "make the request smaller",
  limit_exceeded: "a product-wide limit is reached (the detail says which); remove or close some before adding more",
  // A body the CLI wrote (JSON or Markdown in UTF-8, never compressed) refused as another: changed on its way, or ours.
  unsupported_media_type:
    "this CLI sends JSON or Markdown in UTF-8, uncompressed: a proxy in front of the coordinator that compresses or re-types request bodies sent something else (point --url at the coordinator itself); without one, this is a CLI bug: report it with the line above",
  upgrade_required: "this is a WebSocket endpoint: connect with a WebSocket client",
  after_beyond_feed: "resume after a seq the feed sent (the `lastSeq` above or lower), or leave out --after",
  range_not_satisfiable:
    "the byte range asked starts at or past the artifact's end (its `size` is in the problem): ask for a range inside it",
  // The path exists but not the method: a coordinator older than this CLI lacks the command (or the CLI is wrong).
  method_not_allowed:
    "a coordinator older than this CLI (`gigafactory --version`) has no such command yet: upgrade it, or use a CLI as old; if it is as new, this is a CLI bug: report it with the line above",
  unavailable:
    "send the request again; where the detail says a write may have taken effect, look at what it did before repeating it; check the coordinator's logs if it persists",
};

/**
 * `not_found` names what is missing (the problem's `what`, core/errors NotFoundError): point at the command that lists
 * that kind, not at `jobs` — which, for a product that does not exist, is the command that just failed.
 */
const NOT_FOUND_FIXES: Record<string, string> = {
  job: "check the id: `gigafactory jobs` lists the product's jobs",
  factory: "check the id: `gigafactory factories` lists the product's factories",
  token: "check the id: `gigafactory tokens` lists the product's tokens",
  "routing rule": "check the id: `gigafactory routing rules` lists the rules in force",
  lesson: "check the id: `gigafactory lessons list` lists the lessons",
  experiment: "check the id: `gigafactory routing experiment show` lists the experiments",
  alert: "check the id: `gigafactory alerts` lists the open and acknowledged ones, `--state resolved` the others",
  "dead letter": "check the id: `gigafactory dead-letters` lists them (a redriven one is gone from the list)",
  batch: "check the id: the batchId of a jobs:batch answer",
  product:
    "create it (admin: `gigafactory products create ID`), or pass --product with one `gigafactory products` lists",
};

/**
 * `table[key]` when `key` is one of its own: the key is the server's (a problem's `code`, `what`), and a plain index
 * also finds what every object inherits — `"code": "constructor"` made the fix a function, whose printing threw from
 * cli/run's own catch (`TypeError: s.split is not a function` and a stack trace; under --json no error document).
 */
const own = (table: Readonly<Record<string, string>>, key: string): string | undefined =>
  Object.hasOwn(table, key) ? table[key] : undefined;

function notFoundFix(err: ApiError): string | undefined {
  const art = /(\S+) has no artifact /.exec(err.detail); // "job job_1 has no artifact x": named by its id, as typed
  if (art) return `check the name: \`gigafactory artifacts ${jobIdIn(art[1])}\` lists the job's artifacts`;
  const what = (err.body as { what?: unknown } | null)?.what;
  return typeof what === "string" ? own(NOT_FOUND_FIXES, what) : undefined;
}

const ID_FIXES = new Set(["illegal_transition", "budget_exceeded"]); // their FIXES name the problem's job as ID
/** A job id as the CLI prints it in advice: the API's own shape, else "ID" (the body is the server's). */
const jobIdIn = (v: unknown): string => (typeof v === "string" && /^[\w.-]{1,64}$/.test(v) ? v : "ID");

/**
 * A release refused (`factoryStatus`: factories/admin `releaseQuarantined`): what does bring that factory back. The
 * generic "inspect it and retry" retried the same release, refused the same way.
 */
function releaseFix(body: unknown): string | undefined {
  const { factoryStatus, factoryId } = (body ?? {}) as { factoryStatus?: unknown; factoryId?: unknown };
  const id = typeof factoryId === "string" && /^[\w.-]{1,64}$/.test(factoryId) ? factoryId : "ID";
  if (factoryStatus === "draining")
    return `a release lifts a quarantine; a draining factory returns to rotation with \`gigafactory factory activate ${id}\``;
  if (factoryStatus === "revoked")
    return "a revoked factory has no token: enroll its host again (`gigafactory enroll NAME`)";
  return undefined;
}

/**
 * A review's `conflict` (core/review `assertMayReview`: its details name `currentRound`, or the `reviewer` who already
 * approved) says what to do next; the generic "inspect it and retry" retried the same verdict, refused the same way.
 */
function conflictFix(err: ApiError): string | undefined {
  const body = (err.body ?? {}) as { jobId?: unknown; currentRound?: unknown; reviewer?: unknown };
  const factoryFix = releaseFix(err.body);
  if (factoryFix) return factoryFix;
  if (body.jobId === undefined) return undefined;
  const reviews = `\`gigafactory reviews ${jobIdIn(body.jobId)}\``;
  if (typeof body.currentRound === "number")
    return `read its reviews again (${reviews}), look at the build now in review, and review it with the round shown`;
  if (typeof body.reviewer === "string")
    return `an approval counts once per token: ${reviews} shows who approved; the next must come from another operator's token`;
  return undefined;
}

/**
 * The problem's code as the `✘ ERROR` line and the --json error document carry it: a code of the API's shape
 * (snake_case, core/errors ERROR_CODES), else `http_<status>` as for an answer without one. The message and fix are
 * folded onto one line (errorLine) but the code was printed as sent: a server's `"code": "x\n✔ all good"` wrote a
 * forged line of its own on stderr, and a script switching on `error.code` got whatever text the server chose.
 */
function codeOf(err: ApiError): string {
  return /^[a-z][a-z0-9_]{0,63}$/.test(err.code) ? err.code : `http_${err.status}`;
}

/** No coordinator answered (`unreachable`): the URL may be the one `login` saved (a demo restarted on another port). */
export const UNREACHABLE_FIX =
  "check that the coordinator is up, and the URL: --url, GIGAFACTORY_URL, or the one `gigafactory login` saved " +
  "(log in again to change it)";

/** Any thrown value as a CliError, so `main` has exactly one way to report failure. */
export function toCliError(err: unknown): CliError {
  if (err instanceof CliError) return err;
  if (err instanceof ApiError) {
    // The Worker's own 404 for a path it does not serve (worker/app notFound): the URL is wrong, not an id.
    const wrongUrl = err.code === "not_found" && err.detail.startsWith("no route for ");
    const fix = foreignBody(err)
      ? foreignFix(err)
      : ((wrongUrl
          ? WRONG_URL_FIX
          : err.code === "not_found"
            ? notFoundFix(err)
            : err.code === "conflict"
              ? conflictFix(err)
              : undefined) ??
        own(FIXES, err.code) ??
        unadvisedFix(err));
    // Named by its id when the problem names the job (`ship job_1` refused: "look at … `gigafactory job ID`").
    const id = ID_FIXES.has(err.code) ? jobIdIn((err.body as { jobId?: unknown } | null)?.jobId) : "ID";
    return new CliError(codeOf(err), err.detail, fix.replace(/(`gigafactory [a-z]+ )ID\b/g, `$1${id}`));
  }
  if (err instanceof ConnectionError) return new CliError("unreachable", err.message, UNREACHABLE_FIX);
  if (err instanceof ResponseTimeoutError) return timeoutError(err);
  // Every JSON file the CLI reads itself is parsed under its own error; an unparsable 2xx answer comes from the URL:
  // a proxy's or another service's page, not this CLI's bug.
  // Says what it was itself (a page, a redirect, a body past the bound, another charset): not "is not JSON (…)".
  if (err instanceof BadAnswerError)
    return new CliError(
      "bad_response",
      err.message,
      "check that --url / GIGAFACTORY_URL points at a Gigafactory coordinator, not a proxy or another service",
    );
  if (err instanceof SyntaxError) {
    return new CliError(
      "bad_response",
      `the coordinator's answer is not JSON (${err.message})`,
      "check that --url / GIGAFACTORY_URL points at a Gigafactory coordinator, not a proxy or another service",
    );
  }
  const what = err instanceof Error ? err.message : String(err);
  return new CliError("internal", what, "this is a CLI bug; please report it with the command you ran");
}

/**
 * The one-line report (shared/fixable-error `errorLine`); newlines in server details are folded into it. `known`: the
 * tokens this run may send (cli/own-tokens), hidden before the shapes errorLine hides, which would hide only part of
 * a token of another shape (`Bearer admin secret` up to the blank) and leave the rest unrecognisable.
 */
export function formatError(e: CliError, known: readonly string[] = []): string {
  return errorLine({ code: e.code, message: hideKnown(e.message, known), fix: hideKnown(e.fix, known) });
}

/**
 * A failure under --json, the one document on stdout: `{ error: { code, message, fix, exitCode } }` — the facts of
 * the `✘ ERROR` line, secrets hidden as there (`known`: the tokens this run may send, by value), so a script reads the
 * code instead of parsing stderr.
 */
export function errorDocument(
  e: CliError,
  known: readonly string[] = [],
): {
  error: { code: string; message: string; fix: string; exitCode: number };
} {
  const hide = (text: string) => redactSecrets(text, known);
  return { error: { code: e.code, message: hide(e.message), fix: hide(e.fix), exitCode: e.exitCode } };
}
