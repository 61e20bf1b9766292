/**
 * @module cli/config-file
 * The CLI's saved login, `{url, token, product}` as JSON: where it lives, reading it, and writing it. It holds a
 * secret, so it is written readable by its owner only (0600, a new directory 0700), never through a file already
 * lying at the temporary name, and renamed into place whole, so two `gigafactory login` at once leave one of the
 * two, never a mix; a saved file that others may read is named on stderr (`configFileWarning`), as the agent does.
 */
import {
  closeSync,
  constants,
  existsSync,
  fchmodSync,
  fstatSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from "node:fs";
import { homedir } from "node:os";
import path from "node:path";
import { z } from "zod";
import { EXIT_USAGE } from "../shared/fixable-error.ts";
import { CliError } from "./errors.ts";

/**
 * The saved file's shape: each field a string when present; other keys are kept out of the way (a newer CLI's). A
 * hand-edited `"token": 123` was skipped as absent: "no coordinator token is configured", with the file right there.
 */
const ConfigObject = z.looseObject({
  url: z.string().optional(),
  token: z.string().optional(),
  product: z.string().optional(),
});

export type Env = Readonly<Record<string, string | undefined>>;

/** The saved layer's fields, each a non-empty string when present (cli/config `pick`). */
export interface SavedLogin {
  url: string;
  token: string;
  product: string;
}

/** `$GIGAFACTORY_CONFIG`, else `$XDG_CONFIG_HOME/gigafactory/config.json`, else `~/.config/gigafactory/config.json`. */
export function configPath(env: Env): string {
  if (env.GIGAFACTORY_CONFIG) return env.GIGAFACTORY_CONFIG;
  const base = env.XDG_CONFIG_HOME || path.join(env.HOME || homedir(), ".config");
  return path.join(base, "gigafactory", "config.json");
}

/**
 * `err` naming the file GIGAFACTORY_CONFIG names when it is `not_logged_in` (cli/config resolveConnection: no URL or
 * token to connect with) and that file is not there: it said "no coordinator URL is configured", naming nothing of
 * the path, so a typo in it went unseen (the agent's not_logged_in names the config file it looked for). Still
 * `not_logged_in`, not the agent's `config_missing` for a `--config FILE` that does not exist: that file is only read,
 * this is where `gigafactory login` saves — the agent's state dir's config, whose absence is not_logged_in too.
 * Else `err`.
 */
export function namedConfigMissing(err: unknown, env: Env): unknown {
  const file = env.GIGAFACTORY_CONFIG;
  if (!(err instanceof CliError && err.code === "not_logged_in") || !file || existsSync(file)) return err;
  const what = `${err.message}, and GIGAFACTORY_CONFIG names ${file}, which does not exist`;
  const fix = `${err.fix}; or point GIGAFACTORY_CONFIG at your saved login, or unset it`;
  return new CliError(err.code, what, fix, err.exitCode);
}

/** 64 KiB (UTF-8 bytes): a login is a URL, a token and a product, well under 1 KiB; more is not one. */
const MAX_CONFIG_BYTES = 64 * 1024;

/**
 * The file's parsed JSON object, or undefined when there is no file. `named`: the path is GIGAFACTORY_CONFIG's.
 * @throws CliError, exit 2 (a connection setting the command cannot run with, as the agent's config file's are):
 *   config_unreadable (a directory, a pipe or device, no permission), config_invalid (over MAX_CONFIG_BYTES, not a
 *   JSON object, or a url, token or product that is not a string)
 */
export function readConfigObject(file: string, named = false): Record<string, unknown> | undefined {
  // Named by GIGAFACTORY_CONFIG, it may be any file (a device, someone's notes): never "delete it", and login would
  // write over it.
  const fix = named
    ? "point GIGAFACTORY_CONFIG at your saved login (`gigafactory login` writes one there), or unset it"
    : "make it a file you can read (`gigafactory login` writes one), or delete it";
  const anew = named
    ? "if it is your saved login, run `gigafactory login` again; else point GIGAFACTORY_CONFIG at that, or unset it"
    : "run `gigafactory login` again, or delete the file";
  let text: string;
  let fd: number;
  try {
    // Non-blocking: a FIFO at the path opens at once (to be refused below), instead of waiting for a writer forever.
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new CliError("config_unreadable", `cannot read ${file}: ${(err as Error).message}`, fix, EXIT_USAGE);
  }
  try {
    const st = fstatSync(fd);
    // Read whole, it was: a FIFO hung every command, a link to /dev/zero grew the process to its 2 GiB read limit.
    if (!st.isFile()) {
      const what = st.isDirectory() ? "a directory" : "not a regular file (a pipe, a device…)";
      throw new CliError("config_unreadable", `${file} is ${what}, not a saved login`, fix, EXIT_USAGE);
    }
    if (st.size > MAX_CONFIG_BYTES) {
      const why = `${file} is ${st.size} bytes; a saved login is under ${MAX_CONFIG_BYTES} bytes`;
      throw new CliError("config_invalid", why, anew, EXIT_USAGE);
    }
    text = readFileSync(fd, "utf8");
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError("config_unreadable", `cannot read ${file}: ${(err as Error).message}`, fix, EXIT_USAGE);
  } finally {
    closeSync(fd);
  }
  try {
    const parsed = JSON.parse(text) as unknown;
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new Error("not a JSON object");
    const checked = ConfigObject.safeParse(parsed);
    if (!checked.success) {
      const issue = checked.error.issues[0];
      throw new Error(`\`${issue?.path.join(".")}\` is not a string`);
    }
    return checked.data;
  } catch (err) {
    // Without the text V8 quotes from around the fault (`Unexpected token 'a', "{"token":admin-secr"... is not valid
    // JSON`): it is the file's, which holds the token — one left unquoted was printed in part.
    const why = (err as Error).message.replace(/, (?:\.\.\.)?".*"(?:\.\.\.)? is not valid JSON$/s, ", not valid JSON");
    throw new CliError("config_invalid", `${file} is not a valid config: ${why}`, anew, EXIT_USAGE);
  }
}

/**
 * The warning for a saved file that holds a token other users may read (group or other permission bits; the link's
 * target for a link), or undefined. Such a file was made by hand or copied (login writes 0600): the token in it is
 * anyone's on this host, and nothing said so.
 */
export function configFileWarning(file: string, saved: { token?: string }): string | undefined {
  if (saved.token === undefined) return undefined;
  let mode: number;
  try {
    mode = statSync(file).mode;
  } catch {
    return undefined;
  }
  if ((mode & 0o077) === 0) return undefined;
  const octal = (mode & 0o777).toString(8).padStart(4, "0");
  return `⚠ ${file} holds a token and its permissions ${octal} let other users read it: chmod 600 ${file}`;
}

/**
 * Writes `login` to `file`, readable by the owner only, replacing the file whole. A link there is written through
 * (its target replaced, the link kept: a dotfiles checkout links it), not replaced by a file. The temporary file is
 * created exclusively: one already at its name — left by a crash, or planted in a shared directory — was opened and
 * truncated, so the token was written into a file someone else owned (and through a link, into its target).
 * @throws CliError config_unwritable — the directory cannot be made, the disk is full, the path is a directory…;
 *   nothing of the new login is left behind, and the old file is as it was.
 */
export function writeConfigFile(file: string, login: SavedLogin): void {
  const target = throughLinks(file);
  const tmp = `${target}.${process.pid}.tmp`;
  const text = `${JSON.stringify({ url: login.url, token: login.token, product: login.product }, null, 2)}\n`;
  try {
    mkdirSync(path.dirname(target), { recursive: true, mode: 0o700 });
    // Removing what is there unlinks a link or a file, never writes through it; one recreated since fails `wx`.
    rmSync(tmp, { force: true });
    const fd = openSync(tmp, "wx", 0o600);
    try {
      fchmodSync(fd, 0o600); // the umask may have taken bits off; exactly 0600, as an existing file is tightened to
      writeSync(fd, text);
      fsyncSync(fd); // a crash after the rename must not leave an empty config in place of the old one
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, target);
  } catch (err) {
    try {
      rmSync(tmp, { force: true });
    } catch {
      /* not ours to remove (EPERM in a sticky directory): nothing of ours is in it */
    }
    throw new CliError(
      "config_unwritable",
      `cannot save the login to ${file}: ${(err as Error).message}`,
      "make room on its disk or fix its directory, or point GIGAFACTORY_CONFIG at a file you can write; nothing was saved",
    );
  }
}

/** `file` with every link resolved, when it exists; else `file` as it is (a dangling link is replaced by the file). */
function throughLinks(file: string): string {
  try {
    return realpathSync(file);
  } catch {
    return file;
  }
}
