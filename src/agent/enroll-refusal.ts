/**
 * @module agent/enroll-refusal
 * What `enroll` says when the coordinator refused the code, or could not be reached: the error it throws for a failed
 * enrollment request, read from the coordinator's own problem only (a proxy's or gateway's 401, 403 or 409 is not its).
 * Out of agent/enroll, which reads the command line and saves the answer.
 */
import { FixableError } from "../shared/fixable-error.ts";
import type { ConfigFile } from "./config.ts";
import { forgetNonce, RESUME_WHILE } from "./enroll-nonce.ts";
import { alreadyEnrolled } from "./enroll-target.ts";
import { RestError } from "./rest.ts";
import { configPath } from "./state.ts";

/** What the failed enrollment request was: its product, name, state dir, the config read before, the start line. */
export interface EnrollAttempt {
  stateDir: string;
  url: string;
  product: string;
  name: string;
  previous: ConfigFile;
  startLine: string;
  /** true when the nonce was kept from an earlier, interrupted enroll with this code (agent/enroll-nonce). */
  again: boolean;
}

/**
 * The error to throw for `err`, thrown by the enrollment request: a FixableError (exit 1) for a refusal or an
 * unreachable coordinator, `err` itself for anything else. Forgets the nonce of a first attempt the coordinator's own
 * problem+json refused (4xx): another server's 4xx keeps it.
 */
export function enrollFailure(err: unknown, attempt: EnrollAttempt): unknown {
  const { stateDir, url, product, name, previous, startLine } = attempt;
  // Refused (4xx) by the coordinator's own problem+json with a new nonce: no exchange recorded it, so it resumes
  // nothing. Kept, the same code run again (an expired one pasted twice) was told an earlier enroll "could not be
  // resumed" and to `factory rm` the name. Another server's 4xx (a gateway's 408 once the code had reached the
  // coordinator) says nothing of the exchange: forgotten, that enrollment could not be resumed.
  const refused = err instanceof RestError && err.fromCoordinator && err.status >= 400 && err.status < 500;
  if (refused && !attempt.again) forgetNonce(stateDir);
  // What the coordinator decided, by its own problem only: a proxy's or gateway's 401, 403 or 409 is not its.
  const own = err instanceof RestError && err.fromCoordinator ? err.status : 0;
  const again = err instanceof RestError && (own === 401 || own === 409);
  const held = again
    ? alreadyEnrolled(previous, { product, name }, configPath(stateDir), err.detail, startLine)
    : undefined;
  if (held) return held; // enroll run twice: not "ask for a new code", which then met the taken name (agent/enroll-target)
  if (err instanceof RestError && (own === 401 || own === 403)) {
    return new FixableError(
      "enroll_refused",
      `the coordinator refused the code (${err.detail})`,
      err.status === 403
        ? attempt.again
          ? // An earlier enroll with this code got through under another name (the coordinator names it), or the
            // code is bound to one: either way --name, but the code may be spent.
            "pass as --name the host name the coordinator names, or the one the operator gave `gigafactory enroll`"
          : "the code is bound to the host name the operator gave `gigafactory enroll`: pass it as --name (the code is still usable)"
        : attempt.again
          ? `an earlier enroll with this code was interrupted and could not be resumed: if the coordinator enrolled ${name} then, an operator deregisters it (\`gigafactory factory rm ${name}\`) and gives a new code; else ask for a new one`
          : "codes work once and expire: ask an operator for a new one",
    );
  }
  // The name is taken (a host enrolled again after its state dir was lost): "check --url and --product" was wrong.
  if (err instanceof RestError && own === 409)
    return new FixableError(
      err.code,
      `enrollment failed: ${err.detail}`,
      `the code is still usable: an operator deregisters the old factory (\`gigafactory factory rm ${name}\`), then run this again`,
    );
  // No answer (cut off, timed out), a 5xx or another server's answer: the code may have been exchanged all the same,
  // and only running this again gets that enrollment back — "check --url" alone sent the newcomer looking at a URL
  // that worked.
  const mayHaveReached = err instanceof RestError && !err.unsent && (!err.fromCoordinator || err.status >= 500);
  if (err instanceof RestError)
    return new FixableError(
      err.code,
      `enrollment failed: ${err.detail}`,
      `check --url ${url} and --product ${product}${mayHaveReached ? `, then run this same command again: if the coordinator took the code, that resumes the enrollment ${RESUME_WHILE}` : ""}`,
    );
  return err;
}
