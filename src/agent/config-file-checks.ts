/**
 * @module agent/config-file-checks
 * What `run` and `enroll` say about the config file beyond its schema (agent/state `readConfigFile` checks that):
 * `config_missing` or `not_logged_in` when it is required and absent, and warnings for unknown keys and for a token
 * others can read.
 * - It is required when nothing else says where and who the factory is: `--config FILE` naming a file that does not
 *   exist is `config_missing`; no file at the default path while the flags and environment do not give both URL and
 *   token is `not_logged_in`, as the CLI says nothing to connect with (exit 2), naming the path and which of URL and
 *   token is missing;
 * - a config file that exists but cannot be read is `config_unreadable` with the fix for its cause (a directory where
 *   the file belongs, a file where a directory of its path belongs, permissions);
 * - keys this agent does not know are named in a warning, with the key probably meant (`prodcut` → `product`): the
 *   schema lets them through so an older agent can read a newer file, and a typo is otherwise silently ignored;
 * - a file holding a token that its group or others can read is warned about, as ssh does for a private key: any
 *   local user could become this factory.
 */
import { statSync } from "node:fs";
import path from "node:path";
import { EXIT_USAGE, FixableError } from "../shared/fixable-error.ts";
import { nearestName } from "../shared/nearest-name.ts";
import { ConfigFile } from "./config.ts";

export interface ConfigWarning {
  event: string;
  text: string;
}

/** The keys the schema knows. */
const KNOWN = Object.keys(ConfigFile.shape);

/** Each key of `config` the schema does not know, with the known key it is probably a typo of (distance ≤ 2). */
export function unknownConfigKeys(config: Record<string, unknown>): { key: string; meant?: string }[] {
  return Object.keys(config)
    .filter((key) => !KNOWN.includes(key))
    .map((key) => {
      const meant = nearestName(key, KNOWN);
      return meant ? { key, meant } : { key };
    });
}

/**
 * The warnings for the config file at `file` (parsed as `config`; `mode` its permission bits, undefined when it does
 * not exist): unknown keys, and a token readable by group or others. Pure.
 */
export function configFileWarnings(file: string, config: ConfigFile, mode: number | undefined): ConfigWarning[] {
  const warnings: ConfigWarning[] = [];
  const unknown = unknownConfigKeys(config as Record<string, unknown>);
  if (unknown.length > 0) {
    const named = unknown.map((u) => (u.meant ? `${u.key} (did you mean ${u.meant}?)` : u.key)).join(", ");
    warnings.push({
      event: "config.unknown_keys",
      text: `${file} has keys this agent does not know, ignored: ${named}; known: ${KNOWN.join(", ")}`,
    });
  }
  if (mode !== undefined && config.token !== undefined && (mode & 0o077) !== 0) {
    const octal = (mode & 0o777).toString(8).padStart(4, "0");
    warnings.push({
      event: "config.too_open",
      text: `${file} holds the factory token and its permissions ${octal} let other users read it: chmod 600 ${file}`,
    });
  }
  return warnings;
}

/** What `run` was not given by its flags or environment: the URL, the token, or both. */
export type Missing = "url" | "token";

const GIVEN: Record<Missing, { flag: string; env: string }> = {
  url: { flag: "--url", env: "GIGAFACTORY_URL" },
  token: { flag: "--token", env: "GIGAFACTORY_FACTORY_TOKEN" },
};

/**
 * Throws FixableError (exit 2) when the config file is required and absent: `config_missing` when named by `--config`
 * (`explicit`), `not_logged_in` for the default one while the flags and environment leave out the URL or the token (`missing`, naming
 * which: the message says only what is missing, so `run --url X` is not told it gave no --url).
 */
export function requireConfigFile(file: string, exists: boolean, explicit: boolean, missing: readonly Missing[]): void {
  if (exists || (!explicit && missing.length === 0)) return;
  if (explicit)
    throw new FixableError(
      "config_missing",
      `--config ${file} does not exist`,
      "check the path, or leave out --config to use the one `enroll` wrote",
      EXIT_USAGE,
    );
  const flags = missing.map((m) => GIVEN[m].flag).join(" and no ");
  const pass = missing.map((m) => `${GIVEN[m].flag} (or set ${GIVEN[m].env})`).join(" and ");
  // Nothing to connect with: the CLI's `not_logged_in` (one code per fault, test/unit/one-fault-one-code).
  throw new FixableError(
    "not_logged_in",
    `no config file at ${file}, and no ${flags} given`,
    `run \`gigafactory-agent enroll --url URL --code gfe_…\` first (with the same --state-dir), or pass ${pass}`,
    EXIT_USAGE,
  );
}

/**
 * The FixableError `config_unreadable` (exit 2) for a config file at `file` that exists but could not be read
 * (`err` from readFileSync), whose fix fits the cause: a directory where the file belongs (EISDIR), a file where a
 * directory of its path belongs (ENOTDIR), permissions (EACCES, EPERM), or else the system's message.
 */
export function unreadableConfig(file: string, err: NodeJS.ErrnoException): FixableError {
  if (err.code === "EISDIR")
    return new FixableError(
      "config_unreadable",
      `${file} is a directory, not a config file`,
      `name the file itself (--config ${path.join(file, "config.json")} if it is in there, or --state-dir ${file}), or remove the directory so \`enroll\` can write the file there`,
      EXIT_USAGE,
    );
  if (err.code === "ENOTDIR")
    return new FixableError(
      "config_unreadable",
      `cannot read ${file}: a part of its path is a file, not a directory`,
      "check the path given as --config or --state-dir",
      EXIT_USAGE,
    );
  const access = err.code === "EACCES" || err.code === "EPERM";
  return new FixableError(
    "config_unreadable",
    `cannot read ${file}: ${err.message}`,
    access ? `check its permissions (ls -l ${file}): this user must be able to read it` : "check the path and the disk",
    EXIT_USAGE,
  );
}

/** The file's permission bits, or undefined when it does not exist (or cannot be read: readConfigFile says why). */
export function fileMode(file: string): number | undefined {
  try {
    return statSync(file).mode;
  } catch {
    return undefined;
  }
}
