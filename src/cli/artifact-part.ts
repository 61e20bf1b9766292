/**
 * @module cli/artifact-part
 * The partial file a download to `-o FILE` writes before renaming it onto FILE, kept when the connection breaks so
 * the next `gigafactory artifact ID NAME -o FILE` resumes it (`Range`, `If-Range`) instead of starting at byte 0.
 *
 * A resumable part is named after the version it holds a prefix of: `<FILE>.<sha256 hex>.part` (the artifact's ETag
 * is its sha256, quoted), so finding it beside FILE also gives the If-Range to send, and a part of an older version
 * is never appended to. One run at a time writes a part: each is owned through a pid lock `<part>.lock`
 * (shared/pid-lock: a run that died leaves a stale lock the next run takes over), so two runs to the same FILE never
 * interleave their bytes in one file — the second downloads whole into a file of its own, as before resuming existed.
 */
import { createHash, type Hash } from "node:crypto";
import { createReadStream, lstatSync, readdirSync, rmSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { takePidLock } from "../shared/pid-lock.ts";

/** A resting part: its path, the sha256 (hex) of the artifact version it holds a prefix of, and its size, bytes. */
export interface HeldPart {
  path: string;
  sha: string;
  size: number;
}

/** 255 bytes: the longest file name most file systems take (NAME_MAX); a part's name adds 70 to FILE's. */
const NAME_MAX_BYTES = 255;
const SHA_HEX = /^[0-9a-f]{64}$/;
const SUFFIX = ".part";

/** The sha256 hex of a strong ETag `"<64 hex>"` (what the coordinator sends), or undefined for any other. */
export function etagSha(etag: string | null): string | undefined {
  const m = etag === null ? null : /^"([0-9a-f]{64})"$/.exec(etag);
  return m?.[1];
}

/** The resumable part of `target` for version `sha`, or undefined when its name would be too long to create. */
export function partOf(target: string, sha: string): string | undefined {
  const name = `${basename(target)}.${sha}${SUFFIX}`;
  return Buffer.byteLength(name) <= NAME_MAX_BYTES ? join(dirname(target), name) : undefined;
}

/**
 * The resting parts beside `target`, newest first: regular files only (a link or a directory of that name is not
 * one, and is never written through). None when the directory cannot be read.
 */
export function heldParts(target: string): HeldPart[] {
  const [dir, base] = [dirname(target), `${basename(target)}.`];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const found: Array<HeldPart & { mtime: number }> = [];
  for (const name of names) {
    if (!name.startsWith(base) || !name.endsWith(SUFFIX)) continue;
    const sha = name.slice(base.length, -SUFFIX.length);
    if (!SHA_HEX.test(sha)) continue;
    const path = join(dir, name);
    try {
      const st = lstatSync(path);
      if (st.isFile()) found.push({ path, sha, size: st.size, mtime: st.mtimeMs });
    } catch {
      /* gone meanwhile */
    }
  }
  return found.sort((a, b) => b.mtime - a.mtime).map(({ path, sha, size }) => ({ path, sha, size }));
}

/** A command line of this CLI downloading an artifact: a live pid running anything else reused a dead owner's. */
const isDownload = (command: string): boolean => /\bartifact\b/.test(command);

/**
 * Ownership of `part` for this run: the function that gives it up, or undefined while another live run owns it.
 * A lock that cannot be made (a read-only directory) is no ownership either: the part is then not written at all.
 */
export function own(part: string): (() => void) | undefined {
  try {
    const lock = takePidLock(`${part}.lock`, isDownload);
    if (!lock.ok) return undefined;
    return () => {
      lock.release();
      // Its exit hook too: one process may download many times (a test run), and each hook would stay registered.
      process.removeListener("exit", lock.release);
    };
  } catch {
    return undefined;
  }
}

/** The size of `part` now, or undefined when it is gone. */
export function sizeNow(part: string): number | undefined {
  try {
    const st = lstatSync(part);
    return st.isFile() ? st.size : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A SHA-256 under way, fed the bytes `part` holds now (the prefix a resumed download appends to), and their count;
 * undefined when it cannot be read.
 */
export async function hashOf(part: string): Promise<{ hash: Hash; size: number } | undefined> {
  const hash = createHash("sha256");
  let size = 0;
  try {
    for await (const chunk of createReadStream(part)) {
      hash.update(chunk as Buffer);
      size += (chunk as Buffer).byteLength;
    }
  } catch {
    return undefined;
  }
  return { hash, size };
}

/** Removes `path` if it is there; a failure to is not worth masking whatever is being reported. */
export function discard(path: string): void {
  try {
    rmSync(path, { force: true });
  } catch {
    /* left behind; the next run lists it and, as a stale version, removes it */
  }
}
