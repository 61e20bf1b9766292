/**
 * @module cli/commands/artifacts
 * A job's artifacts (what its runs uploaded: logs, diffs, reports): `gigafactory artifacts ID` lists them — name,
 * size, who uploaded them (the factory under its lease, or an operator) and when — and `gigafactory artifact ID NAME
 * [-o FILE]` downloads one, to stdout by default (so it pipes: `… | less`) or to FILE, checking the bytes against the
 * SHA-256 the coordinator recorded at upload (an answer without it says "not checked"); a download to FILE cut by a
 * broken connection resumes where it broke on the next run (cli/artifact-download). --json: the API's list; for a
 * download to FILE, what was written — `{jobId, name, file, size, sha256, checked}` (`checked` false when the answer
 * carried no digest to check against) and `resumedFrom`, the byte it resumed at, when it did.
 * Shown on a terminal, an artifact's control characters are shown as pictures, not obeyed (core/terminal-text).
 */
import { statSync } from "node:fs";
import { join } from "node:path";
import { MAX_ARTIFACTS_PER_JOB } from "../../core/artifact-limits.ts";
import { counted } from "../../core/counted.ts";
import { terminalTextStream } from "../../core/terminal-text.ts";
import { EXIT_USAGE } from "../../shared/fixable-error.ts";
import type { ArtifactView } from "../../shared/http-client.ts";
import { downloadToFile } from "../artifact-download.ts";
import { drain, verify } from "../artifact-stream.ts";
import type { Command, Io } from "../context.ts";
import { CliError, usageError } from "../errors.ts";
import { factoryNamer, factoryNames, nameWaitMs } from "../factory-names.ts";
import { folderFault } from "../output-file.ts";
import { ArtifactPageRead, checked } from "../read-answers.ts";
import { formatAge, formatInstant, renderTable } from "../table.ts";
import { repeatedCursor } from "./jobs.ts";

/** Sizes as people read them: bytes under 1 KiB, then KiB / MiB with one decimal. */
export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}

/** A factory's `uploadedBy` (the coordinator's actor, `factory:<id>`): its id, else undefined. */
const uploaderFactory = (by: string): string | undefined => (by.startsWith("factory:") ? by.slice(8) : undefined);

/**
 * The artifacts table's rows. `names`: factory id → name (cli/factory-names): a factory's upload is said by its name,
 * as `jobs` and `job` name a holder — it read `factory:fac_0mxch3l8…`; an operator's (`operator:alice`) as answered.
 */
export function artifactRows(
  list: readonly ArtifactView[],
  now: number,
  names: ReadonlyMap<string, string> = new Map(),
): string[][] {
  const named = factoryNamer(names);
  return list.map((a) => [
    a.name,
    formatSize(a.size),
    a.contentType,
    names.has(uploaderFactory(a.uploadedBy) ?? "") ? named(uploaderFactory(a.uploadedBy)!) : a.uploadedBy,
    `${formatInstant(a.createdAt)} (${formatAge(a.createdAt, now)} ago)`,
    a.sha256.slice(0, 12),
  ]);
}

export const artifacts: Command = {
  path: ["artifacts"],
  args: { names: "ID", min: 1, max: 1 },
  jobIdArg: true,
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
    else {
      // Read only when a factory uploaded one: an operator's uploads cost no fleet read.
      const names = list.some((a) => uploaderFactory(a.uploadedBy))
        ? await factoryNames(client, nameWaitMs(ctx.io.env))
        : undefined;
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
          artifactRows(list, ctx.io.now(), names),
        ),
      );
    }
    return 0;
  },
};

/** Whether `file` is a directory (or a link to one). */
function isDirectory(file: string): boolean {
  try {
    return statSync(file).isDirectory();
  } catch {
    return false;
  }
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
  // A terminal's text is shown piece by piece, a CRLF cut between two reads kept whole (core/terminal-text).
  const shown = terminalTextStream();
  const asText = (text: string, last: boolean) => {
    const out = io.stdoutIsTTY ? shown.push(text) + (last ? shown.end() : "") : text;
    if (out) io.stdout(out);
  };
  if (io.stdoutBytes && !io.stdoutIsTTY) return { write: io.stdoutBytes, end: () => {} };
  return {
    write: (b) => asText(decoder.decode(b, { stream: true }), false),
    end: () => asText(decoder.decode(), true),
  };
}

export const artifact: Command = {
  path: ["artifact"],
  args: { names: "ID NAME", min: 2, max: 2 },
  jobIdArg: true,
  summary: "download one of a job's artifacts, to stdout or -o FILE (checked against its SHA-256)",
  details: [
    "-o FILE: the bytes go to FILE.<sha256>.part and replace FILE only once their SHA-256 is the one recorded, so a",
    "cut download leaves FILE as it was and keeps the part: the same command again resumes where it broke (Range +",
    "If-Range; an artifact uploaded again since comes whole). --json: {jobId, name, file, size, sha256, checked} and",
    "resumedFrom when it resumed; checked is false when the answer carried no digest to check against.",
  ],
  options: {
    output: {
      type: "string",
      short: "o",
      value: "FILE",
      help: "write to FILE instead of stdout (`-o -`: stdout; a FILE is needed with --json, which then prints what was written)",
    },
  },
  async run(ctx) {
    const [id, name] = ctx.positionals as [string, string];
    // `-o -` is stdout, as for curl and wget: it made a file named "-" in the current directory.
    const file = ctx.str("output") === "-" ? undefined : ctx.str("output");
    // Under --json stdout holds one JSON document (what was written where), so the bytes need a file of their own.
    if (ctx.json && file === undefined)
      throw usageError("--json needs -o FILE (not stdout): the artifact's bytes are not JSON", "artifact");
    if (file === undefined) {
      const res = await ctx.client().downloadArtifact(id, name);
      const out = stdoutSink(ctx.io);
      const got = await drain(res.body ?? new Blob([]).stream(), out.write);
      out.end();
      if (!verify(res, got, name)) ctx.note(UNCHECKED(name), true);
      return 0;
    }
    // Refused before the request: it was made, then "cannot write DIR (EISDIR) / check the path".
    if (isDirectory(file))
      throw new CliError(
        "file_unwritable",
        `${file} is a directory: -o names the file to write`,
        `pass -o ${join(file, name)}`,
        EXIT_USAGE,
      );
    // Its folder missing, a file or read-only: refused before the request too, not after the whole artifact came.
    const fault = folderFault(file);
    if (fault) throw fault;
    // Checked before it replaces FILE; a cut download's part is kept for the next run to resume (cli/artifact-download).
    const got = await downloadToFile(ctx.client(), id, name, file);
    const { checked, resumedFrom } = got;
    if (!checked) ctx.note(UNCHECKED(name), true);
    const resumed = resumedFrom > 0 ? { resumedFrom } : {};
    // `checked`: whether the bytes matched a digest the coordinator recorded — false when it sent none (the ⚠ on stderr
    // says so to a person; a script reads it here, or took unchecked bytes for verified ones).
    if (ctx.json) ctx.emit({ jobId: id, name, file, size: got.size, sha256: got.sha256, checked, ...resumed });
    else
      ctx.print(
        `${checked ? "✔" : "⚠"} ${name}: ${counted(got.size, "byte")} written to ${file} (sha256 ${got.sha256.slice(0, 12)}, ${checked ? "checked" : "not checked"}${resumedFrom > 0 ? `; resumed at byte ${resumedFrom}` : ""})`,
      );
    return 0;
  },
};
