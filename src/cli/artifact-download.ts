/**
 * @module cli/artifact-download
 * `gigafactory artifact ID NAME -o FILE`: the bytes go to a part file beside FILE (beside a link's target) and are
 * renamed onto it only once all are in and their SHA-256 is the one the coordinator recorded — a broken connection or
 * a Ctrl-C leaves FILE as it was. A part named after the artifact's version (cli/artifact-part) is kept when the
 * connection breaks, and the next run asks only for the bytes after it (`Range: bytes=N-`, `If-Range` its ETag): a
 * 206 is appended to it, and the whole file's SHA-256 (the kept bytes and the new) is still checked before the
 * rename. A 200 instead (the artifact was uploaded again, or the server serves no ranges) starts the part over, and a
 * 416 saying the part is not shorter than the artifact (`Content-Range: bytes *\/N`, N at most the part's size) drops
 * it and downloads again: never two versions spliced. Any other 416 (a proxy's, one naming no length or a longer
 * artifact) says nothing of the part: it is kept as it is while the artifact comes whole into a file of its own.
 * A device or a FIFO (`-o /dev/stdout`) is written through, whole.
 */
import { type Hash, randomUUID } from "node:crypto";
import { createWriteStream, lstatSync, realpathSync, statSync } from "node:fs";
import { ApiError, type ArtifactResume, type GigafactoryClient } from "../shared/http-client.ts";
import { discard, etagSha, type HeldPart, hashOf, heldParts, own, partOf, sizeNow } from "./artifact-part.ts";
import { drain, verify } from "./artifact-stream.ts";
import { CliError } from "./errors.ts";
import { moveOnto, openPlain, plainOrNone, unwritable } from "./output-file.ts";

/** What a download to -o FILE wrote: its size and hex SHA-256, whether checked, and the byte it resumed at (0: none). */
export interface Written {
  size: number;
  sha256: string;
  checked: boolean;
  resumedFrom: number;
}

/**
 * Where a checked download to -o `file` is renamed onto: `file` itself when it is a regular file or none yet; the
 * regular file a symbolic link names, so the link stays and its target is replaced whole (written through, a link
 * lost what its target held to a broken connection, and kept bytes that failed their check); undefined for what
 * cannot be replaced — a device, a FIFO, a directory, a dangling link (`-o /dev/stdout`) — which is written through.
 * `mode`: the replaced file's permission bits, which the new one keeps (renamed onto a 0600 file, it was 0644).
 */
function renameTarget(file: string): { path: string; mode?: number } | undefined {
  let link = false;
  try {
    link = lstatSync(file).isSymbolicLink();
    const path = link ? realpathSync(file) : file;
    const stat = statSync(path);
    return stat.isFile() ? { path, mode: stat.mode & 0o7777 } : undefined;
  } catch {
    return link ? undefined : { path: file }; // none yet: made whole; a dangling link: written through
  }
}

/** The resume that asks for the bytes after `held` (Range + If-Range, its version's ETag), or none. */
const after = (held: HeldPart | undefined): ArtifactResume | undefined =>
  held && held.size > 0 ? { from: held.size, etag: `"${held.sha}"` } : undefined;

/** The first byte a 206 carries, from its `Content-Range: bytes first-last/size`; undefined when unreadable. */
function rangeStart(res: Response): number | undefined {
  const m = /^bytes (\d+)-\d+\/\d+$/.exec(res.headers.get("content-range") ?? "");
  return m ? Number(m[1]) : undefined;
}

/**
 * Whether a 416 says a part of `size` bytes is past the artifact's end: its `Content-Range: bytes *\/N` (RFC 9110
 * §14.4, as the coordinator sends it) names a length N of at most `size`.
 */
function pastEnd(err: ApiError, size: number): boolean {
  const m = /^bytes \*\/(\d+)$/.exec(err.contentRange?.trim() ?? "");
  return m !== null && Number(m[1]) <= size;
}

/** One GET of the artifact, whole or resumed (shared/http-client `downloadArtifact`). */
type Get = (resume?: ArtifactResume) => Promise<Response>;

/**
 * Downloads to -o `file` (see the module): resumes the newest part this run can own, keeps a resumable part when the
 * connection breaks, removes any other. @throws CliError download_interrupted (its fix says the next run resumes when
 * a part was kept), checksum_mismatch (the part is dropped), file_unwritable (exit 2: the path), write_failed (the
 * disk); an ApiError for any other refusal
 */
export async function downloadToFile(client: GigafactoryClient, id: string, name: string, file: string) {
  const get: Get = (resume) => client.downloadArtifact(id, name, resume);
  const target = renameTarget(file);
  if (!target) {
    const res = await get();
    const got = await write(res, file, file, {});
    return { ...got, checked: verify(res, got, file), resumedFrom: 0 } satisfies Written;
  }
  const releases: Array<() => void> = [];
  try {
    return await resume(get, target, file, releases);
  } finally {
    for (const release of releases) release();
  }
}

/**
 * The download to a part beside `target` (see the module), renamed onto it once checked. Every part this run owns is
 * pushed to `releases` as the function that gives it up (the caller's `finally` calls them).
 */
async function resume(get: Get, target: { path: string; mode?: number }, file: string, releases: Array<() => void>) {
  const newest = heldParts(target.path)[0];
  const mine = newest && own(newest.path);
  if (mine) releases.push(mine);
  // Hashed before asking: the answer's bytes are read as soon as they come (a body left unread while the connection
  // breaks loses what had arrived), and the size asked after is the size hashed (another run may have renamed the
  // part away since it was listed: it is then gone).
  const prefix = newest && mine ? await hashOf(newest.path) : undefined;
  let held = newest && prefix ? { ...newest, size: prefix.size } : undefined;
  let res: Response;
  let spared: string | undefined; // a part a 416 said nothing of: kept as it is, written to by nobody
  try {
    res = await get(after(held));
  } catch (err) {
    if (!(held && err instanceof ApiError && err.status === 416)) throw err;
    // Only a length at or before the part's end says the part is past it; any 416 dropped gigabytes kept for a resume.
    if (pastEnd(err, held.size))
      discard(held.path); // not shorter than the artifact: nothing to ask after it
    else spared = held.path;
    held = undefined;
    res = await get();
  }
  if (res.status === 206 && !(held && rangeStart(res) === held.size && etagSha(res.headers.get("etag")) === held.sha)) {
    await res.body?.cancel(); // not the range asked for: start again whole
    res = await get();
  }
  const resumed = res.status === 206 && held ? held : undefined;
  const sha = etagSha(res.headers.get("etag"));
  // This version's part when it may be kept (a name that fits, owned by this run), else a throwaway one.
  let part = resumed?.path ?? (sha ? partOf(target.path, sha) : undefined);
  if (part === spared) part = undefined; // the whole goes to a file of its own: the spared part stays until it is in
  if (part && !resumed && part !== held?.path) {
    // A link, a FIFO or a directory at the name is not a part (heldParts lists none of them): written to, a link was
    // `ELOOP` — "cannot write FILE / check the path" for a FILE that was fine — and a FIFO hung the run for ever.
    const release = plainOrNone(part) ? own(part) : undefined;
    if (release) releases.push(release);
    else part = undefined;
  }
  const keep = part !== undefined;
  part ??= `${target.path}.${randomUUID().slice(0, 8)}.part`;
  if (held && !resumed && held.path !== part) discard(held.path); // another version's prefix: of no use now
  try {
    const got = await write(res, part, file, { mode: target.mode, resumed: resumed && prefix });
    const checked = verify(res, got, file);
    moveOnto(part, target.path, file, target.mode);
    if (spared) discard(spared); // the artifact is in whole: nothing is left to resume
    for (const stale of heldParts(target.path)) {
      const release = own(stale.path);
      if (release) discard(stale.path);
      release?.();
    }
    return { ...got, checked, resumedFrom: resumed?.size ?? 0 } satisfies Written;
  } catch (err) {
    const cut = err instanceof CliError && err.code === "download_interrupted";
    const at = cut && keep ? (sizeNow(part) ?? 0) : 0;
    if (resumed && err instanceof CliError && err.code === "checksum_mismatch") {
      discard(part); // its fix said "if it persists the stored artifact is damaged": the kept bytes may be the fault
      const fix = `run the same command again: it downloads ${file} whole (the bytes an earlier run kept are dropped)`;
      throw new CliError(err.code, err.message, `${fix}; if that fails too, the stored artifact is damaged`);
    }
    if (at === 0) {
      discard(part); // nothing worth resuming from (or bytes that are not the artifact's)
      throw err;
    }
    throw new CliError(
      "download_interrupted",
      (err as CliError).message,
      `run the same command again: it resumes at byte ${at} (the bytes so far are kept in ${part}; ${file} is untouched)`,
    );
  }
}

/**
 * `res`'s bytes to `path`, each write awaited (back-pressure): appended to the part they continue (`resumed`: the
 * hash of the bytes it holds, and their count) or from its start; hashed whole. A part is opened as a regular file
 * only (`openPlain`); -o FILE written through is opened as named. A path that cannot be written is a
 * CliError naming `shown` (the -o FILE asked for, not the part beside it).
 * @throws CliError file_unwritable (exit 2), write_failed, download_interrupted
 */
async function write(
  res: Response,
  path: string,
  shown: string,
  o: { mode?: number; resumed?: { hash: Hash; size: number } },
) {
  let fd: number | undefined;
  try {
    fd = path === shown ? undefined : openPlain(path, o.resumed !== undefined, o.mode);
  } catch (err) {
    throw unwritable(shown, err as NodeJS.ErrnoException, false);
  }
  // `mode` less the umask: never more open than the file it replaces.
  const out = fd === undefined ? createWriteStream(path, { mode: o.mode }) : createWriteStream("", { fd });
  // -o FILE written through is opened by the stream: a failure before its `open` is the path's, after it the disk's.
  let opened = fd !== undefined;
  out.once("open", () => {
    opened = true;
  });
  const failed = new Promise<never>((_, reject) => out.once("error", (err) => reject(unwritable(shown, err, opened))));
  failed.catch(() => {}); // observed below, through the races
  const sink = (chunk: Uint8Array) =>
    Promise.race([
      new Promise<void>((resolve, reject) =>
        out.write(chunk, (err) => (err ? reject(unwritable(shown, err, opened)) : resolve())),
      ),
      failed,
    ]);
  try {
    const got = await drain(res.body ?? new Blob([]).stream(), sink, o.resumed);
    await Promise.race([new Promise<void>((resolve) => out.end(resolve)), failed]);
    return got;
  } catch (err) {
    out.destroy(); // a broken download (the connection, not the file) propagates as itself
    throw err;
  }
}
