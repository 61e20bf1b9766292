/**
 * @module agent/enroll-nonce
 * The client nonce that lets `enroll` get back an enrollment whose answer it lost. An agent killed -9 (or whose
 * config write failed) after the coordinator exchanged its code and before the token was saved left a factory no
 * one could connect as: the code is spent and the token was only in that answer. Now `enroll` sends a random nonce
 * with the code (`EnrollBody.nonce`), written to the state dir — fsync'd, the directory too — BEFORE the request,
 * as `enroll-nonce.json` (0600) `{codeHash, nonce}`: the code's SHA-256 (never the code) and 32 random bytes in
 * base64url. A restarted `enroll` with the same code finds it and sends the same nonce, and the coordinator re-issues
 * that factory's token (coordinator access/enrollment-resume). Another code gets a new nonce. The file goes once
 * the config holding the token is written.
 */
import { createHash, randomBytes } from "node:crypto";
import { closeSync, fsyncSync, openSync, rmSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import { FixableError } from "../shared/fixable-error.ts";
import { replaceAtomically } from "./exclusive-file.ts";
import { readRegular } from "./regular-file.ts";
import { ensurePrivateDir } from "./state.ts";

/**
 * How long running `enroll` again resumes an enrollment whose answer was lost, as its fixes say it: the coordinator
 * resumes for an hour from the code's exchange, and never past the code's own expiry (coordinator
 * access/enrollment-resume RESUME_WINDOW_MS). "Within the hour" said only the first, and a code minted 50 minutes
 * before had 10 left.
 */
export const RESUME_WHILE = "(until the code expires or an hour after it was taken, whichever is sooner)";

/** The nonce file's name in the state dir. */
export const NONCE_FILE = "enroll-nonce.json";

const NonceFile = z.object({
  codeHash: z.string().regex(/^[0-9a-f]{64}$/),
  nonce: z.string().regex(/^[A-Za-z0-9_-]{22,64}$/),
});

const codeHashOf = (code: string): string => createHash("sha256").update(code, "utf8").digest("hex");

/** The most of a nonce file read, bytes: the file enroll writes is ~135. */
const NONCE_FILE_MAX_BYTES = 4096;

/**
 * The nonce file kept for `code` in `stateDir`, if one is: a broken or unreadable file is no nonce (a new one is
 * made). Read as agent/regular-file reads: a FIFO there hung `enroll` for good in `readFileSync`, and a huge file was
 * read whole (700 MB of it: 1.1 GB of memory) only to be refused.
 */
function keptNonce(file: string, code: string): string | undefined {
  const text = readRegular(file, NONCE_FILE_MAX_BYTES);
  if (text === undefined) return undefined;
  try {
    const kept = NonceFile.safeParse(JSON.parse(text));
    return kept.success && kept.data.codeHash === codeHashOf(code) ? kept.data.nonce : undefined;
  } catch {
    return undefined;
  }
}

/** The directory's entries (the rename) on disk: a power loss after the request must not lose the file. */
function syncDir(dir: string): void {
  const fd = openSync(dir, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * The nonce to send with `code`: the one an earlier attempt with this very code kept in `stateDir` (`again: true`),
 * else a new one, written and flushed to disk before this returns.
 * @throws FixableError `nonce_unsaved` (exit 1) — the file could not be written (a full disk…): nothing was sent, the
 *   code is still unused; state_dir_unusable (exit 2) from agent/state `ensurePrivateDir`
 */
export function enrollNonce(stateDir: string, code: string): { nonce: string; again: boolean } {
  const file = path.join(stateDir, NONCE_FILE);
  const kept = keptNonce(file, code);
  if (kept !== undefined) return { nonce: kept, again: true };
  const nonce = randomBytes(32).toString("base64url");
  ensurePrivateDir(stateDir);
  try {
    replaceAtomically(file, `${JSON.stringify({ codeHash: codeHashOf(code), nonce })}\n`, { mode: 0o600, sync: true });
    syncDir(stateDir);
  } catch (err) {
    throw new FixableError(
      "nonce_unsaved",
      `could not write ${file} (${(err as Error).message}), which lets an interrupted enrollment be resumed; nothing was sent: the code is still unused`,
      "fix that (room on the disk, the state dir), then run this again",
    );
  }
  return { nonce, again: false };
}

/** The nonce file removed (the token is saved: nothing is left to resume). A failure is not the enrollment's. */
export function forgetNonce(stateDir: string): void {
  try {
    rmSync(path.join(stateDir, NONCE_FILE), { force: true });
  } catch {
    /* a directory planted there: the next enroll's own nonce replaces the file anyway */
  }
}
