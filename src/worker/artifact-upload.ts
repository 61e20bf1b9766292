/**
 * @module worker/artifact-upload
 * An artifact upload's bytes, streamed straight to R2 at the size the request declared: through a counter that
 * refuses a body longer than its Content-Length and a SHA-256 digest, into a FixedLengthStream (R2 needs the length
 * up front). No byte is buffered beyond one chunk. Whoever calls this has recorded the object's key as an upload
 * intent first (feed/upload-intents): bytes left behind by a refusal here, or by a request that dies mid-stream,
 * are deleted by the JobFeed.
 */

import { MAX_ARTIFACT_BYTES } from "../core/artifact-limits.ts";
import { truncateUtf8 } from "../core/bytes.ts";
import { DomainError } from "../core/errors.ts";

/** What was stored: bytes and their hex SHA-256. */
export interface StoredBytes {
  size: number;
  sha256: string;
}

/**
 * The upload's declared size, bytes, and its Content-Type (200 bytes of UTF-8 kept: a header is Latin-1, so a
 * character past U+007F is two bytes once stored).
 * @throws DomainError `validation_failed` (400) without a Content-Length; `payload_too_large` (413) past
 *   MAX_ARTIFACT_BYTES, naming the limit
 */
export function declaredUpload(headers: Headers): { length: number; contentType: string } {
  const length = Number(headers.get("content-length") ?? "NaN");
  if (!Number.isSafeInteger(length) || length < 0) {
    throw new DomainError(
      "validation_failed",
      "send Content-Length: artifacts are streamed to storage at a known size",
    );
  }
  if (length > MAX_ARTIFACT_BYTES) {
    throw new DomainError("payload_too_large", `artifact exceeds ${MAX_ARTIFACT_BYTES} bytes`, {
      limit: MAX_ARTIFACT_BYTES,
    });
  }
  const contentType = truncateUtf8(headers.get("content-type") ?? "application/octet-stream", 200);
  return { length, contentType };
}

/**
 * Streams `body` to `bucket` under `key`, exactly `length` bytes, stored with `contentType`.
 * @throws DomainError `validation_failed` (400) when the body is longer or shorter than `length`, or ends early (a
 *   client that went away): the object may be partly written — the caller abandons its intent
 */
export async function streamToR2(
  bucket: R2Bucket,
  body: ReadableStream<Uint8Array> | null,
  key: string,
  length: number,
  contentType: string,
): Promise<StoredBytes> {
  const digest = new crypto.DigestStream("SHA-256");
  const digestWriter = digest.getWriter();
  let seen = 0;
  const meter = new TransformStream<Uint8Array, Uint8Array>({
    async transform(chunk, controller) {
      seen += chunk.byteLength;
      if (seen > length) throw new DomainError("validation_failed", "body is longer than its Content-Length");
      await digestWriter.write(chunk);
      controller.enqueue(chunk);
    },
  });
  const sized = new FixedLengthStream(length);
  const piping = (body ?? new Blob([]).stream()).pipeThrough(meter).pipeTo(sized.writable);
  try {
    await Promise.all([bucket.put(key, sized.readable, { httpMetadata: { contentType } }), piping]);
    await digestWriter.close();
  } catch (err) {
    if (err instanceof DomainError) throw err;
    // A body shorter than its Content-Length, or a client that went away mid-upload.
    throw new DomainError("validation_failed", `upload did not complete: ${seen} of ${length} bytes arrived`);
  }
  if (seen !== length) {
    throw new DomainError("validation_failed", `upload was ${seen} bytes, Content-Length said ${length}`);
  }
  const sha256 = [...new Uint8Array(await digest.digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
  return { size: seen, sha256 };
}
