/**
 * @module agent/config-read
 * Reading the agent's config file, once per start (`readConfigText`), then parsing it (`readConfigFile`).
 *
 * The state dir's own `config.json` is read as agent/regular-file reads: opened never waiting for a writer, and read
 * from that descriptor only when fstat says it is a regular file under CONFIG_MAX_BYTES. Read by path with
 * readFileSync, a FIFO there hung `run` (and `enroll`) for good before a word was printed, and a huge file — or a
 * link to /dev/zero — was read whole. A link to a regular file is still followed, unlike in the dirs an engine can
 * write: the state dir is the agent's own (0700, hidden from engines), and a secrets manager places the config as
 * such a link (test/unit/agent-sandbox-config-link). An explicit `--config FILE` is the operator's choice and may be
 * a pipe: `--config <(vault read …)` (bash's /dev/fd/N) is how scripts hand the token over without writing it to
 * disk. So it is opened as named (a pipe read too) and read only up to the cap. It is read ONCE: the start also reads
 * it to hide its token in everything printed, and that first read emptied the pipe — `run` then said
 * "/dev/fd/63 is not valid JSON".
 */
import { closeSync, constants, fstatSync, openSync, readSync } from "node:fs";
import { EXIT_USAGE, FixableError } from "../shared/fixable-error.ts";
import { ConfigFile } from "./config.ts";
import { unreadableConfig } from "./config-file-checks.ts";

/** The state dir's own: opened at once whatever is there (a FIFO does not wait for a writer, and is then refused). */
const OWN_READ = constants.O_RDONLY | constants.O_NONBLOCK;

/** 64 KiB: the most of a config file read, bytes (one `enroll` writes is a few hundred). */
export const CONFIG_MAX_BYTES = 64 * 1024;

/** What reading the config file found: its text, no file there, or why it cannot be used (thrown when parsed). */
export type ConfigText = { text: string } | { missing: true } | { error: FixableError };

const ANEW =
  "remove it and run `gigafactory-agent enroll` again (with the same --state-dir), or name a config with --config";

/**
 * The config file at `file`: `own` — the state dir's `config.json`: a regular file (or a link to one) under
 * CONFIG_MAX_BYTES, no FIFO or device; else an explicit `--config` (a pipe read too), read up to CONFIG_MAX_BYTES.
 * Never throws; blocks only on an explicit FIFO with no writer yet (the operator named it). Errors:
 * `config_unreadable` (a directory, no regular file, permissions), `config_invalid` (over the cap).
 */
export function readConfigText(file: string, own: boolean): ConfigText {
  let fd: number;
  try {
    fd = openSync(file, own ? OWN_READ : "r");
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === "ENOENT") return { missing: true };
    return { error: unreadableConfig(file, e) };
  }
  try {
    const st = fstatSync(fd);
    if (st.isDirectory())
      return { error: unreadableConfig(file, Object.assign(new Error("EISDIR"), { code: "EISDIR" })) };
    if (own && !st.isFile()) return refused(file, "is not a regular file (a pipe, a socket or a device)", ANEW);
    const text = readCapped(fd);
    if (text === undefined) return tooLarge(file, st.isFile() ? st.size : undefined, own);
    return { text };
  } catch (err) {
    return { error: unreadableConfig(file, err as NodeJS.ErrnoException) };
  } finally {
    closeSync(fd);
  }
}

/** `fd`'s text up to CONFIG_MAX_BYTES (UTF-8), or undefined when there is more: never reads past one byte over. */
function readCapped(fd: number): string | undefined {
  const buf = Buffer.alloc(CONFIG_MAX_BYTES + 1);
  let got = 0;
  for (let n = 1; n > 0 && got < buf.length; got += n) n = readSync(fd, buf, got, buf.length - got, null);
  return got > CONFIG_MAX_BYTES ? undefined : buf.subarray(0, got).toString("utf8");
}

function refused(file: string, what: string, fix: string): ConfigText {
  return { error: new FixableError("config_unreadable", `${file} ${what}`, fix, EXIT_USAGE) };
}

/** An explicit --config named the wrong file: "remove it and enroll again" would write the state dir's, not that one. */
const NAME_ANOTHER =
  "name the config file itself with --config (one `gigafactory-agent enroll` writes is a few hundred bytes), or leave --config out to use the state dir's";

function tooLarge(file: string, size: number | undefined, own: boolean): ConfigText {
  const is = size === undefined ? `holds more than ${CONFIG_MAX_BYTES} bytes` : `is ${size} bytes`;
  const message = `${file} ${is}; a config file is at most ${CONFIG_MAX_BYTES} bytes, so this is not one`;
  return { error: new FixableError("config_invalid", message, own ? ANEW : NAME_ANOTHER, EXIT_USAGE) };
}

/**
 * An explicit --config's file that is not a config: it may be anything the operator named (a job file, /etc/hosts),
 * so neither "delete it" nor "enroll again" (which writes the state dir's) is the fix.
 */
const NOT_A_CONFIG =
  "if it is the agent's config, fix it; else name the config file itself with --config, or leave --config out to use the state dir's (`enroll` writes that one)";

/**
 * The config file, parsed: `{}` when it does not exist. `read`: what `readConfigText` found (read as the state
 * dir's own file when not given); `own`: false for an explicit --config, whose fix never says to delete it.
 * @throws FixableError `config_unreadable` / `config_invalid` (exit 2) naming the file: unusable (readConfigText),
 *   not JSON, or a field the schema refuses.
 */
export function readConfigFile(file: string, read: ConfigText = readConfigText(file, true), own = true): ConfigFile {
  if ("missing" in read) return {};
  if ("error" in read) throw read.error;
  let data: unknown;
  try {
    data = JSON.parse(read.text);
  } catch {
    throw new FixableError(
      "config_invalid",
      `${file} is not valid JSON`,
      own ? "fix it, or delete it and enroll again" : NOT_A_CONFIG,
      EXIT_USAGE,
    );
  }
  const parsed = ConfigFile.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new FixableError(
      "config_invalid",
      `${file}: ${issue?.path.join(".")}: ${issue?.message}`,
      own ? "fix that field, or delete the file and enroll again" : "fix that field",
      EXIT_USAGE,
    );
  }
  return parsed.data;
}

/**
 * The `token` of a config read, leniently (undefined when absent, unusable or not the expected JSON): only to hide
 * it in what is printed, so the checks that parse it properly still say what is wrong with it.
 */
export function storedToken(read: ConfigText): string | undefined {
  if (!("text" in read)) return undefined;
  try {
    const token = (JSON.parse(read.text) as { token?: unknown } | null)?.token;
    return typeof token === "string" ? token : undefined;
  } catch {
    return undefined;
  }
}
