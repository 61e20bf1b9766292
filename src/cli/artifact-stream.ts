/**
 * @module cli/artifact-stream
 * An artifact download's body as it comes: every byte hashed on its way to wherever it goes (stdout, a part file),
 * a connection that breaks mid-body named as such, and the result checked against the SHA-256 the coordinator
 * recorded (`x-content-sha256`: the whole artifact's, on a 206 too).
 */
import { createHash, type Hash } from "node:crypto";
import { counted } from "../core/counted.ts";
import { CliError } from "./errors.ts";

/**
 * A download whose connection broke mid-body (fetch's `TypeError: terminated`): the coordinator's or the network's
 * doing, not the CLI's — it was `✘ ERROR internal: terminated / this is a CLI bug`. `size`: the bytes that came.
 */
function interrupted(size: number, err: unknown): CliError {
  const cause = err instanceof Error ? ((err.cause as Error | undefined)?.message ?? err.message) : String(err);
  return new CliError(
    "download_interrupted",
    `the connection broke after ${counted(size, "byte")} of the artifact (${cause})`,
    "download it again: the bytes that came are incomplete (-o FILE keeps none of them)",
  );
}

/**
 * The bytes to `sink`, hashed on the way — on top of `start` when given (the `size` bytes a resumed download already
 * holds, already in `hash`). @returns the hex SHA-256 and the byte count of all of them
 * @throws CliError download_interrupted, counting every byte held
 */
export async function drain(
  body: ReadableStream<Uint8Array>,
  sink: (chunk: Uint8Array) => Promise<void> | void,
  start: { hash: Hash; size: number } = { hash: createHash("sha256"), size: 0 },
) {
  const { hash } = start;
  let size = start.size;
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
 * Checks the bytes against the digest the coordinator recorded. @returns false when there was none to check against
 * (a proxy that drops the header, a server that is not a coordinator): the download then says so, where it said
 * "checked" for bytes nobody checked. @throws CliError checksum_mismatch
 */
export function verify(res: Response, got: { sha256: string }, what: string): boolean {
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
