/**
 * @module agent/config-error
 * A command line or config the agent cannot run with: a shared/fixable-error FixableError that exits 2 ("you called
 * me wrong", agent/supervisor `EXIT.usage`), apart from the operation failures that exit 1. Only the exit code is its
 * own; the shape and the printing are FixableError's.
 */
import { FixableError } from "../shared/fixable-error.ts";

/** agent/supervisor `EXIT.usage`, repeated here so this small module does not load the supervisor. */
const EXIT_USAGE = 2;

/** `code`, what is wrong, how to fix it; exits 2. */
export class ConfigError extends FixableError {
  constructor(code: string, what: string, fix: string) {
    super(code, what, fix, EXIT_USAGE);
    this.name = "ConfigError";
  }
}
