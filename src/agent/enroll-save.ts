/**
 * @module agent/enroll-save
 * The last step of `enroll`: the config file written with the factory's token. With a code, that token exists
 * nowhere else by then — the code is spent and the coordinator keeps only the token's hash — so a write that failed
 * (a full disk, something in the way at the file's temporary name) left the factory enrolled, never to connect, and
 * the agent said `✘ ERROR internal … this is a bug` with a stack trace: nothing said the token was lost, nor what
 * would enroll the host again (the name is taken now: a new code alone meets `409`). The same command again resumes
 * the enrollment until the code expires or an hour after it was taken, whichever is sooner (agent/enroll-nonce). The refusal is `config_unwritable`, the CLI's code for a login it
 * cannot save (cli/config-file): one fault, one code (it was `config_unsaved`).
 */
import { FixableError } from "../shared/fixable-error.ts";
import type { ConfigFile } from "./config.ts";
import { RESUME_WHILE } from "./enroll-nonce.ts";
import { configPath, writeConfigFile } from "./state.ts";

/**
 * Writes `stored` as `<stateDir>/config.json` (agent/state `writeConfigFile`); returns its path. `enrolled`: the
 * factory a code just enrolled (its name and id), whose token is lost when the write fails.
 * @throws FixableError `config_unwritable` (exit 1) — the file could not be written: why, and for an enrolled factory that
 *   its token is lost and the ways back (the same command again, while the enrollment can be resumed: RESUME_WHILE;
 *   later `gigafactory factory rm NAME` and a new code); a stored `--token` is only to be
 *   stored again once the cause is fixed
 */
export function saveEnrollment(
  stateDir: string,
  stored: ConfigFile,
  enrolled: { name: string; factoryId: string } | undefined,
): string {
  try {
    return writeConfigFile(stateDir, stored);
  } catch (err) {
    const file = configPath(stateDir);
    const why = (err as Error).message;
    if (!enrolled)
      throw new FixableError(
        "config_unwritable",
        `could not save the factory token to ${file}: ${why}`,
        "fix that (room on the disk, the file's directory), then run this again",
      );
    // The nonce this enrollment was made with stays in the state dir (agent/enroll-nonce): the same command again
    // resumes it, for an hour at most — the coordinator re-issues the token (coordinator access/enrollment-resume).
    throw new FixableError(
      "config_unwritable",
      `enrolled ${enrolled.name} (${enrolled.factoryId}), but could not save its token to ${file}: ${why}; the token exists nowhere else (the code is spent)`,
      `fix that (room on the disk, the file's directory), then run this same command again: it resumes this enrollment with a new token ${RESUME_WHILE}; later, an operator deregisters it (\`gigafactory factory rm ${enrolled.name}\`) and gives a new code for this host`,
    );
  }
}
