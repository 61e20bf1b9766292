/**
 * @module cli/timeout-error
 * A request whose answer did not come within --timeout, as the CliError the CLI reports (cli/errors `toCliError`).
 */
import { FixableError as CliError } from "../shared/fixable-error.ts";
import type { ResponseTimeoutError } from "../shared/http-client.ts";

/** What any timed-out request's fix says: the coordinator's state, or a longer bound. */
export const TIMEOUT_FIX =
  "check that the coordinator is up and not overloaded, or allow longer with --timeout SECONDS / GIGAFACTORY_TIMEOUT (0 = no limit)";

/**
 * A timed-out request. A read can simply be run again; a write (POST, PATCH, PUT, DELETE) may have reached the
 * coordinator and been applied before the bound passed — a second `submit` could make a second job — so its fix says
 * to look first.
 * @returns CliError `timeout`, exit 1
 */
export function timeoutError(err: ResponseTimeoutError): CliError {
  const what = err.started ? err.message : `${err.message} (the coordinator took the connection but did not answer)`;
  const write = !["GET", "HEAD"].includes(err.method);
  const fix = write
    ? `the ${err.method} may still have been applied: check what it changes (a job: \`gigafactory jobs\`, \`history\`; ` +
      `a factory or token: \`gigafactory factories\`, \`tokens\`) before running it again; ${TIMEOUT_FIX}`
    : TIMEOUT_FIX;
  return new CliError("timeout", what, fix);
}
