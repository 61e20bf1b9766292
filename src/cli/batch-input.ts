/**
 * @module cli/batch-input
 * The items `gigafactory batch submit FILE…` sends in one `POST …/jobs:batch`: each file read as `submit` reads a
 * manifest (cli/manifest-input: UTF-8, at most a manifest's bytes, `-` for standard input once) and made the API's
 * item — `{markdown}` for a markdown file, the file's own `{manifest, bodyMd?}` (or a bare manifest object) for a
 * `.json` one; standard input (`-`) by `--format`, else by its first character (`{`: JSON) — and the whole request
 * weighed against the route's 8 MiB before anything is sent. A file the route would refuse for the whole batch (an
 * empty one; a `.json` key that is none of an item's) is refused here, by name (`named` maps a route's
 * `body.items.N` to its file for what slips through).
 */
import { utf8Bytes } from "../core/bytes.ts";
import { counted } from "../core/counted.ts";
import { MAX_BATCH_BYTES } from "../shared/api-batches.ts";
import { EXIT_USAGE } from "../shared/fixable-error.ts";
import { CliError, toCliError } from "./errors.ts";
import { readManifest } from "./manifest-input.ts";
import { mapLimit } from "./pool.ts";

/** The fix of a command line `batch submit` cannot take. */
export const SEE_BATCH_HELP = "see `gigafactory batch submit --help`";

/** One item of a batch request: raw markdown, or JSON fields plus a body (shared/api BatchItem). */
export type BatchItemInput = { markdown: string } | { manifest: unknown; bodyMd?: string };

/** The two manifest formats a batch item is read from: markdown (as `submit` takes it) or a JSON object. */
export const MANIFEST_FORMATS = ["md", "json"] as const;
export type ManifestFormat = (typeof MANIFEST_FORMATS)[number];

/**
 * How `file`'s text is read: a named file by its name (`.json`, else markdown); standard input (`-`) has no name, so
 * by `format` (`--format`) when given, else by its first non-blank character — `{` opens JSON, which no markdown
 * manifest does (they open with `---` frontmatter or a `#` heading). `batch submit -` sent every JSON document as
 * markdown, refused by the server item by item.
 */
export function formatOf(file: string, text: string, format?: ManifestFormat): ManifestFormat {
  if (file !== "-") return /\.json$/i.test(file) ? "json" : "md";
  return format ?? (text.trimStart().startsWith("{") ? "json" : "md");
}

/**
 * The item `file`'s text makes, read as `format` (formatOf). JSON is `{manifest, bodyMd?}` (the API's JSON item, as
 * `POST …/jobs` takes it) or the manifest object itself; markdown is sent verbatim for the server to parse, as
 * `submit` sends it.
 * @throws CliError invalid_json (exit 2; readBatchItems names the file) — JSON that is not a JSON object: the route reads the batch's items
 *   as one document, so one such item would be a 400 for all of them; or a `{manifest, …}` with a key that is neither
 *   `manifest` nor `bodyMd` (the spelling meant suggested): dropped, a misspelt `bodyMD` made a job with no body
 */
export function batchItem(file: string, text: string, format: ManifestFormat = formatOf(file, text)): BatchItemInput {
  if (format === "md") return { markdown: text };
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    const fix = file === "-" ? "--format md to send it as markdown" : "name it .md";
    throw new CliError(
      "invalid_json",
      `not JSON (${(err as Error).message})`,
      `write it as {manifest, bodyMd} or as the manifest object, or ${fix}`,
      EXIT_USAGE,
    );
  }
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) {
    throw new CliError(
      "invalid_json",
      "a JSON manifest is an object",
      "write it as {manifest, bodyMd} or as the manifest object itself",
      EXIT_USAGE,
    );
  }
  if ("manifest" in doc) {
    const { manifest, bodyMd, ...rest } = doc as { manifest: unknown; bodyMd?: unknown };
    const stray = Object.keys(rest)[0];
    if (stray !== undefined) {
      const meant = ITEM_KEYS.find((k) => closeTo(stray, k));
      throw new CliError(
        "invalid_json",
        `unknown key "${stray}" beside "manifest" (an item holds only ${ITEM_KEYS.join(" and ")})`,
        meant ? `write "${meant}" for "${stray}"` : `move "${stray}" into the manifest, or drop it`,
        EXIT_USAGE,
      );
    }
    // A bodyMd that is no string is the server's to refuse, item by item, with its own words.
    return bodyMd === undefined ? { manifest } : ({ manifest, bodyMd } as BatchItemInput);
  }
  return { manifest: doc };
}

/** The keys of a `{manifest, bodyMd}` item (shared/api BatchItem). */
const ITEM_KEYS = ["manifest", "bodyMd"] as const;

/** `a` is `b` but for case, or one letter added, dropped or changed (`bodyMD`, `bodymd`, `bodyMdd`, `manifst`). */
function closeTo(a: string, b: string): boolean {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  if (x === y) return true;
  if (Math.abs(x.length - y.length) > 1) return false;
  let i = 0;
  while (i < x.length && x[i] === y[i]) i++;
  const rest = (s: string, k: number) => s.slice(k);
  return rest(x, i + 1) === rest(y, i + 1) || rest(x, i) === rest(y, i + 1) || rest(x, i + 1) === rest(y, i);
}

/**
 * A route's `detail` with each `body.items.N…` path it names given its file: `empty.md (body.items.1.markdown): …`.
 * The route refuses a whole batch by path and index; the user knows the batch by its files.
 */
export function named(detail: string, files: readonly string[]): string {
  return detail.replace(/\bbody\.items\.(\d+)((?:\.[\w$]+)*)/g, (path, n: string) => {
    const file = files[Number(n)];
    return file === undefined ? path : `${file} (${path})`;
  });
}

/** What `batch submit` read: its items, and the format standard input was read as (when `-` was named). */
export interface BatchRead {
  items: BatchItemInput[];
  stdin?: { format: ManifestFormat; bytes: number };
}

/**
 * Every file's item, in the order named, read 8 at a time; `-` read as `format` (formatOf). All or nothing: a batch
 * half sent is one the user must piece together again; every file is named that could not be read.
 * @throws CliError — the first file that cannot be read or is no item (its own code: file_unreadable, file_too_large,
 *   file_not_utf8, file_empty, invalid_json), naming every file that could not be, and that nothing was sent
 */
export async function readBatchItems(
  files: readonly string[],
  stdin?: () => AsyncIterable<Uint8Array>,
  format?: ManifestFormat,
): Promise<BatchRead> {
  if (files.filter((f) => f === "-").length > 1)
    throw new CliError("usage", "`-` (standard input) is given twice: it holds one manifest", SEE_BATCH_HELP, 2);
  let fromStdin: BatchRead["stdin"];
  const read = await mapLimit(files, 8, async (file) => {
    try {
      const text = await readManifest(file, stdin, SEE_BATCH_HELP);
      // Sent, the route refuses the whole batch for it (`body.items.N.markdown: Too small`), naming no file.
      if (text === "")
        throw new CliError("file_empty", "the file is empty", "write a manifest in it, or leave it out", EXIT_USAGE);
      const as = formatOf(file, text, format);
      if (file === "-") fromStdin = { format: as, bytes: utf8Bytes(text) };
      return { item: batchItem(file, text, as) };
    } catch (err) {
      return { file, error: toCliError(err) };
    }
  });
  const failed = read.flatMap((r) => ("error" in r && r.error ? [{ file: r.file, error: r.error }] : []));
  const first = failed[0];
  if (first) {
    const others = failed.length > 1 ? ` (and ${counted(failed.length - 1, "other file")}: ${listed(failed)})` : "";
    throw new CliError(
      first.error.code,
      `${first.file}: ${first.error.message}${others}; nothing was sent`,
      `${first.error.fix}, then send the batch again`,
      first.error.exitCode,
    );
  }
  const items = read.map((r) => (r as { item: BatchItemInput }).item);
  return fromStdin === undefined ? { items } : { items, stdin: fromStdin };
}

/** The files after the first, by name: at most 5, then how many more. */
function listed(failed: ReadonlyArray<{ file: string }>): string {
  const rest = failed.slice(1).map((f) => f.file);
  return rest.length > 5 ? `${rest.slice(0, 5).join(", ")}, …` : rest.join(", ");
}

/**
 * The request's body size (UTF-8 bytes of `{"items":[…]}`), refused over the route's MAX_BATCH_BYTES before it is
 * sent: the server would read 8 MiB of it and answer 413 for the whole, every item refused. The fix says how many
 * files a batch of these may carry.
 * @throws CliError payload_too_large (exit 1, as the route's own 413: one code, one exit — cli/exit-codes)
 */
export function assertBatchFits(items: readonly BatchItemInput[]): void {
  const bytes = utf8Bytes(JSON.stringify({ items }));
  if (bytes <= MAX_BATCH_BYTES) return;
  // The average item's share of the limit, with room for the envelope: a first guess at a batch that fits.
  const per = Math.max(1, Math.floor((items.length * (MAX_BATCH_BYTES - 64)) / bytes));
  throw new CliError(
    "payload_too_large",
    `the batch is ${mib(bytes)} MiB of JSON (${counted(items.length, "file")}); a jobs:batch request carries at ` +
      `most ${mib(MAX_BATCH_BYTES)} MiB`,
    `split the files into batches of at most ${per} (e.g. \`ls *.md | split -l ${per}\`, then one ` +
      "`gigafactory batch submit $(cat xaa)` per part), or submit the largest with `gigafactory submit`",
  );
}

const mib = (bytes: number): string => (Math.ceil((bytes / 1024 / 1024) * 10) / 10).toFixed(1).replace(/\.0$/, "");
