/**
 * @module cli/commands/artifacts
 * A job's artifacts (what its runs uploaded: logs, diffs, reports): `gigafactory artifacts ID` lists them — name,
 * size, who uploaded them (the factory under its lease, or an operator) and when — and `gigafactory artifact ID NAME
 * [-o FILE]` downloads one, to stdout by default (so it pipes: `… | less`) or to FILE, checking the bytes against the
 * SHA-256 the coordinator recorded at upload (an answer without it says "not checked"). --json: the API's list; for a
 * download to FILE, what was written.
 * Shown on a terminal, an artifact's control characters are shown as pictures, not obeyed (core/terminal-text).
 */
import { createHash, randomUUID } from "node:crypto";
import { createWriteStream, lstatSync, realpathSync, renameSync, rmSync, statSync } from "node:fs";
import { MAX_ARTIFACTS_PER_JOB } from "../../core/artifact-limits.ts";
import { terminalText } from "../../core/terminal-text.ts";
import type { ArtifactView } from "../../shared/http-client.ts";
import type { Command, Io } from "../context.ts";
import { CliError, usageError } from "../errors.ts";
import { ArtifactPageRead, checked } from "../read-answers.ts";
import { formatAge, formatInstant, renderTable } from "../table.ts";
import { repeatedCursor } from "./jobs.ts";

/** Sizes as people read them: bytes under 1 KiB, then KiB / MiB with one decimal. */
export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}

export function artifactRows(list: readonly ArtifactView[], now: number): string[][] {
  return list.map((a) => [
    a.name,
    formatSize(a.size),
    a.contentType,
    a.uploadedBy,
    `${formatInstant(a.createdAt)} (${formatAge(a.createdAt, now)} ago)`,
    a.sha256.slice(0, 12),
  ]);
}

export const artifacts: Command = {
  path: ["artifacts"],
  args: { names: "ID", min: 1, max: 1 },
  summary: "list a job's artifacts: name, size, uploaded by, when",
  options: {},
  async run(ctx) {
    const id = ctx.positionals[0]!;
    const client = ctx.client();
    const list: ArtifactView[] = [];
    const seen = new Set<string>();
    let cursor: string | undefined;
    do {
      // A whole job is one page (MAX_ARTIFACTS_PER_JOB); a cursor handed out twice would page for ever.
      const asked = { cursor, limit: MAX_ARTIFACTS_PER_JOB };
      const page = checked(ArtifactPageRead, await client.artifactsPage(id, asked), "a page of artifacts");
      for (const a of page.artifacts) list.push(a); // not push(...): one argument per item overflows past ~125,000
      cursor = page.nextCursor;
      if (cursor !== undefined && seen.has(cursor)) throw repeatedCursor(cursor, "the list");
      if (cursor !== undefined) seen.add(cursor);
    } while (cursor !== undefined);
    if (ctx.json) ctx.emit({ artifacts: list });
    else if (list.length === 0) ctx.print(`${id} has no artifacts`);
    else
      ctx.print(
        renderTable(
          [
            { header: "NAME", max: 48 },
            { header: "SIZE", align: "right" },
            { header: "TYPE", max: 32 },
            { header: "UPLOADED BY", max: 40 },
            { header: "WHEN" },
            { header: "SHA256" },
          ],
          artifactRows(list, ctx.io.now()),
        ),
      );
    return 0;
  },
};

/**
 * A download whose connection broke mid-body (fetch's `TypeError: terminated`): the coordinator's or the network's
 * doing, not the CLI's — it was `✘ ERROR internal: terminated / this is a CLI bug`.
 */
function interrupted(size: number, err: unknown): CliError {
  const cause = err instanceof Error ? ((err.cause as Error | undefined)?.message ?? err.message) : String(err);
  return new CliError(
    "download_interrupted",
    `the connection broke after ${size} bytes of the artifact (${cause})`,
    "download it again: the bytes that came are incomplete (-o FILE keeps none of them)",
  );
}

/** The bytes to `sink`, hashed on the way; answers the hex SHA-256 and the byte count. */
async function drain(body: ReadableStream<Uint8Array>, sink: (chunk: Uint8Array) => Promise<void> | void) {
  const hash = createHash("sha256");
  let size = 0;
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read().catch((err: unknown) => {
      throw interrupted(size, err);
    });
    if (done) break;
    hash.update(value);
    size += value.byteLength;
    await sink(value);
  }
  return { sha256: hash.digest("hex"), size };
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

/** `part` renamed onto `target` (-o `shown` or its link's target); refused, file_unwritable naming `shown`. */
function moveOnto(part: string, target: string, shown: string): void {
  try {
    renameSync(part, target);
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new CliError("file_unwritable", `cannot write ${shown} (${why})`, "check the path");
  }
}

/**
 * The bytes to `path`, each write awaited (back-pressure); a path that cannot be written is a CliError naming
 * `shown` (the -o FILE asked for, not the temporary file beside it).
 */
async function toFile(body: ReadableStream<Uint8Array>, path: string, shown: string, mode?: number) {
  const out = createWriteStream(path, { mode }); // `mode` less the umask: never more open than the file it replaces
  const unwritable = (err: NodeJS.ErrnoException) =>
    new CliError("file_unwritable", `cannot write ${shown} (${err.code ?? err.message})`, "check the path");
  const failed = new Promise<never>((_, reject) => out.once("error", (err) => reject(unwritable(err))));
  failed.catch(() => {}); // observed below, through the races
  const write = (chunk: Uint8Array) =>
    Promise.race([
      new Promise<void>((resolve, reject) => out.write(chunk, (err) => (err ? reject(unwritable(err)) : resolve()))),
      failed,
    ]);
  try {
    const result = await drain(body, write);
    await Promise.race([new Promise<void>((resolve) => out.end(resolve)), failed]);
    return result;
  } catch (err) {
    out.destroy(); // a broken download (the connection, not the file) propagates as itself
    throw err;
  }
}

/**
 * Checks the bytes against the digest the coordinator recorded. @returns false when there was none to check against
 * (a proxy that drops the header, a server that is not a coordinator): the download then says so, where it said
 * "checked" for bytes nobody checked. @throws CliError checksum_mismatch
 */
function verify(res: Response, got: { sha256: string }, what: string): boolean {
  const want = res.headers.get("x-content-sha256");
  if (!want) return false;
  if (want !== got.sha256) {
    throw new CliError(
      "checksum_mismatch",
      `${what}: the bytes' SHA-256 is ${got.sha256}, the coordinator recorded ${want}`,
      "download it again; if it persists the stored artifact is damaged",
    );
  }
  return true;
}

/** What a download without a digest to check against says on stderr (under --json too: a script cannot see it). */
const UNCHECKED = (name: string) =>
  `⚠ ${name}: not checked — the answer carried no x-content-sha256 (a proxy in between may have dropped it)`;

/**
 * Where a download to stdout goes. A pipe or a file gets the bytes as they are (`… > d.patch`, `… | git apply`). A
 * terminal gets them as text with control characters shown as pictures: an artifact is its uploader's bytes — an
 * engine's log, say — and its escape sequences would otherwise drive the operator's terminal (write the clipboard
 * with OSC 52, clear the screen, hide a line behind a CR), which every other path of the CLI already prevents.
 */
function stdoutSink(io: Io): { write: (bytes: Uint8Array) => Promise<void> | void; end: () => void } {
  const decoder = new TextDecoder();
  const asText = (text: string) => {
    if (text) io.stdout(io.stdoutIsTTY ? terminalText(text) : text);
  };
  if (io.stdoutBytes && !io.stdoutIsTTY) return { write: io.stdoutBytes, end: () => {} };
  return { write: (b) => asText(decoder.decode(b, { stream: true })), end: () => asText(decoder.decode()) };
}

export const artifact: Command = {
  path: ["artifact"],
  args: { names: "ID NAME", min: 2, max: 2 },
  summary: "download one of a job's artifacts, to stdout or -o FILE (checked against its SHA-256)",
  options: {
    output: {
      type: "string",
      short: "o",
      value: "FILE",
      help: "write to FILE instead of stdout (needed with --json, which then prints what was written)",
    },
  },
  async run(ctx) {
    const [id, name] = ctx.positionals as [string, string];
    const file = ctx.str("output");
    // Under --json stdout holds one JSON document (what was written where), so the bytes need a file of their own.
    if (ctx.json && file === undefined)
      throw usageError("--json needs -o FILE: the artifact's bytes are not JSON", "artifact");
    const res = await ctx.client().downloadArtifact(id, name);
    const body = res.body ?? new Blob([]).stream();
    if (file === undefined) {
      const out = stdoutSink(ctx.io);
      const got = await drain(body, out.write);
      out.end();
      if (!verify(res, got, name)) ctx.note(UNCHECKED(name), true);
      return 0;
    }
    // Bytes that are not the whole artifact must not be left looking like it (nor replace what FILE held): they go
    // to a file beside it (beside a link's target), renamed onto it only once all are in and checked — a broken
    // connection or a Ctrl-C leaves FILE as it was. A device or a FIFO (`-o /dev/stdout`) is written through.
    const target = renameTarget(file);
    const part = target && `${target.path}.${randomUUID().slice(0, 8)}.part`;
    let got: { sha256: string; size: number };
    let checked: boolean;
    try {
      got = await toFile(body, part ?? file, file, target?.mode);
      checked = verify(res, got, file);
      if (part && target) moveOnto(part, target.path, file);
    } catch (err) {
      if (part) rmSync(part, { force: true });
      throw err;
    }
    if (!checked) ctx.note(UNCHECKED(name), true);
    if (ctx.json) ctx.emit({ jobId: id, name, file, size: got.size, sha256: got.sha256 });
    else
      ctx.print(
        `${checked ? "✔" : "⚠"} ${name}: ${got.size} bytes written to ${file} (sha256 ${got.sha256.slice(0, 12)}, ${checked ? "checked" : "not checked"})`,
      );
    return 0;
  },
};
