/**
 * @module cli/exit-codes
 * The codes of the CLI's own refusals that exit 2 (shared/fixable-error EXIT_USAGE): a command line it cannot run,
 * or a connection setting (URL, token, product) it cannot run with — the saved login that holds them too, when it
 * cannot be read or is not one — and an input file the command line names that it cannot read or take (`submit
 * FILE`, `children ID FILE.json`: they exited 1, where the agent's config file it cannot take exits 2). Every other
 * failure exits 1 (`interrupted` 130 after Ctrl-C, 143 after SIGTERM — cli/interruption: `submit`, a job action,
 * `review approve|reject`, `batch submit` and its --wait, `children`, `dead-letters redrive`, `factory rotate`,
 * `enroll`, `tokens mint`; `watch`'s job waiting for an operator 3). One code has one exit code wherever it is thrown: `product_required` exited 2 from `login` and
 * 1 from every other command; and in both programs: `config_invalid` exited 1 here and 2 from the agent, whose
 * config file is as much its settings. The overview's help and the README name this list; test/unit/cli-exit-codes
 * holds every throw in src/cli to it, and test/unit/exit-codes-agree the codes both programs throw to one exit.
 */
export const USAGE_CODES: readonly string[] = [
  "usage",
  "bad_url",
  "not_logged_in",
  "product_required",
  "factory_token",
  "token_malformed",
  "token_other_origin",
  "token_product_mismatch",
  // `enroll NAME` with a name no factory can have: the agent's code for its --name (one fault, one code).
  "bad_name",
  "config_unreadable",
  "config_invalid",
  "file_unreadable",
  "file_not_utf8",
  "invalid_json",
  // An input file larger than the coordinator takes (cli/input-file): it was read whole and sent, to be refused 413.
  "file_too_large",
  // `batch submit` of an empty file (cli/batch-input): sent, the route refused the whole batch for it, naming no file.
  "file_empty",
  // `artifact … -o FILE` naming a path it cannot open or replace (a directory that is not there, no permission); the
  // disk failing under the bytes (full, I/O) is `write_failed`, exit 1 (cli/artifact-download).
  "file_unwritable",
  // bin/node-check, before the CLI loads: a Node too old to run it.
  "node_too_old",
];
