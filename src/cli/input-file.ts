/**
 * @module cli/input-file
 * A file the command line names, read no further than the coordinator takes: `submit FILE` read the whole file into
 * memory and uploaded it (a 1 GiB log named by mistake: a gigabyte read, then sent) to be refused 413. A file past
 * the bound is `file_too_large`, exit 2 — an input file the command line names that it cannot take (cli/exit-codes).
 * Read as a stream, so a pipe (`submit <(…)`, a FIFO) is bounded as a file is, and so is standard input (`submit -`:
 * `readInputStream`), which was read to its end.
 */
import { open } from "node:fs/promises";
import { EXIT_USAGE } from "../shared/fixable-error.ts";
import { CliError } from "./errors.ts";

/** A UTF-8 BOM's bytes: dropped before the text is sent (cli/utf8-text), so not counted against the bound. */
const BOM_BYTES = 3;

/** 64 KiB: each read. */
const CHUNK_BYTES = 64 * 1024;

/**
 * The bytes of `file`, at most `maxBytes` of them beside a leading BOM.
 * @param what how the refusal names the bound, e.g. "a manifest"
 * @throws CliError file_too_large (exit 2) past the bound; the system's error (ENOENT, EISDIR, EACCES…) as it is
 */
export async function readInputFile(file: string, maxBytes: number, what: string): Promise<Uint8Array> {
  const cap = maxBytes + BOM_BYTES;
  const handle = await open(file, "r");
  try {
    const chunks: Uint8Array[] = [];
    let total = 0;
    for (;;) {
      const { bytesRead, buffer } = await handle.read(Buffer.alloc(CHUNK_BYTES), 0, CHUNK_BYTES, null);
      if (bytesRead === 0) break;
      total += bytesRead;
      if (total > cap) throw tooLarge(maxBytes, what);
      chunks.push(buffer.subarray(0, bytesRead));
    }
    return Buffer.concat(chunks, total);
  } finally {
    await handle.close();
  }
}

/**
 * The bytes of `chunks` (standard input's, as they come), at most `maxBytes` of them beside a leading BOM: no chunk
 * past the bound is asked for (leaving the loop ends the stream: process.stdin is destroyed).
 * @param what how the refusal names the bound, e.g. "a manifest"
 * @throws CliError file_too_large (exit 2) past the bound; the stream's own error as it is
 */
export async function readInputStream(
  chunks: AsyncIterable<Uint8Array>,
  maxBytes: number,
  what: string,
): Promise<Uint8Array> {
  const cap = maxBytes + BOM_BYTES;
  const got: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of chunks) {
    total += chunk.byteLength;
    if (total > cap) throw tooLarge(maxBytes, what);
    got.push(chunk);
  }
  return Buffer.concat(got, total);
}

/**
 * `file_too_large`: more than `maxBytes` (UTF-8 bytes) — `what` (e.g. "a manifest") takes no more at the coordinator.
 * `label` prefixes the message (e.g. `"children.json: "`); "" when the caller prefixes it.
 */
export function tooLarge(maxBytes: number, what: string, label = ""): CliError {
  return new CliError(
    "file_too_large",
    `${label}is larger than ${maxBytes} bytes, the most the coordinator takes for ${what}`,
    "name the file meant, or make it smaller (split its work over several jobs)",
    EXIT_USAGE,
  );
}
