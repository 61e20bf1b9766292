/**
 * @module worker/artifact-upload
 * An artifact upload's bytes, streamed straight to R2 at the size the request declared: through a counter that
 * refuses a body longer than its Content-Length and a SHA-256 digest, into a FixedLengthStream (R2 needs the length
 * up front). No byte is buffered beyond one chunk. Whoever calls this has recorded the object's key as an upload
 * intent first (feed/upload-intents): bytes left behind by a refusal here, or by a request that dies mid-stream,
 * are deleted by the JobFeed. A failure is answered as whose it is: the client's body (400) or R2 (503, send again).
 */

import { z } from "zod";
import { MAX_ARTIFACT_BYTES } from "../core/artifact-limits.ts";
import { counted } from "../core/counted.ts";
import { DomainError } from "../core/errors.ts";
import { fromZod } from "./problem.ts";
import { singleHeader } from "./single-header.ts";
import { assertNoContentCoding } from "./validate-params.ts";

/** What was stored: bytes and their hex SHA-256. */
export interface StoredBytes {
  size: number;
  sha256: string;
}

/** Content-Length: decimal digits only (`Number` read "" as 0, "0x10" as 16 and "1e3" as 1000). */
const ContentLength = z.string().regex(/^[0-9]{1,16}$/, "a whole number of bytes");

/**
 * Content-Type: printable ASCII, as a media type is. A header's bytes reach the Worker as UTF-8, so without this a
 * declared type carried control and bidi characters (U+0085, U+202E) into the stored pointer, the list, the feed's
 * `artifact.added` and the dashboard. Absent or empty: `application/octet-stream`.
 */
const ContentType = z
  .string()
  .regex(/^[\x20-\x7e]*$/, "printable ASCII: a media type such as text/plain; charset=utf-8");

/**
 * The upload's declared size, bytes, and its Content-Type (its first 200 characters, which are its UTF-8 bytes).
 * @throws DomainError `validation_failed` (400) without a Content-Length of digits, or with a Content-Type that is not
 *   printable ASCII; `payload_too_large` (413) past MAX_ARTIFACT_BYTES, naming the limit; `unsupported_media_type`
 *   (415) under a Content-Encoding (validate-params `assertNoContentCoding`)
 */
export function declaredUpload(headers: Headers): { length: number; contentType: string } {
  assertNoContentCoding(headers.get("content-encoding"));
  const declared = ContentLength.safeParse(headers.get("content-length") ?? "");
  if (!declared.success) {
    throw new DomainError(
      "validation_failed",
      "send Content-Length, a whole number of bytes: artifacts are streamed to storage at a known size",
    );
  }
  const length = Number(declared.data);
  if (length > MAX_ARTIFACT_BYTES) {
    throw new DomainError("payload_too_large", `artifact exceeds ${MAX_ARTIFACT_BYTES} bytes`, {
      limit: MAX_ARTIFACT_BYTES,
    });
  }
  const type = ContentType.safeParse(singleHeader(headers, "Content-Type") ?? "");
  if (!type.success) throw fromZod("Content-Type", type.error);
  return { length, contentType: type.data.slice(0, 200) || "application/octet-stream" };
}

/**
 * Streams `body` to `bucket` under `key`, exactly `length` bytes, stored with `contentType`. Whose fault a failure
 * is decides its answer: the client's (a body longer or shorter than `length`, or one that broke off) is a 400; the
 * storage's (R2 refused or dropped the bytes the client sent) is a 503 that says to send again — it was a 400
 * "upload did not complete: 5 of 5 bytes arrived", which told a client with nothing wrong not to retry.
 * @throws DomainError `validation_failed` (400) for the client's failures, `unavailable` (503) for R2's: either way
 *   the object may be partly written — the caller abandons its intent
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
  const source = (body ?? new Blob([]).stream()).getReader();
  let seen = 0;
  let ending: BodyEnding = "streaming";
  // Pulled by R2 (through the FixedLengthStream), one chunk at a time: counted, hashed, and watched for how it ends.
  const metered = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const read = await source.read().catch((err: unknown) => {
          ending = "broke"; // the client went away mid-upload
          throw err;
        });
        if (read.done) {
          ending = "ended";
          controller.close();
          return;
        }
        seen += read.value.byteLength;
        if (seen > length) throw new DomainError("validation_failed", "body is longer than its Content-Length");
        await digestWriter.write(read.value);
        controller.enqueue(read.value);
      },
      cancel: (reason) => source.cancel(reason),
    },
    { highWaterMark: 0 },
  );
  const sized = new FixedLengthStream(length);
  const piping = metered.pipeTo(sized.writable);
  try {
    await Promise.all([bucket.put(key, sized.readable, { httpMetadata: { contentType } }), piping]);
    await digestWriter.close();
  } catch (err) {
    throw uploadFailure(key, seen, length, ending, err);
  }
  if (seen !== length) {
    throw new DomainError("validation_failed", `upload was ${counted(seen, "byte")}, Content-Length said ${length}`);
  }
  const sha256 = [...new Uint8Array(await digest.digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
  return { size: seen, sha256 };
}

/** How far an upload's body got: still coming, read to its end, or broken off by the client going away. */
type BodyEnding = "streaming" | "ended" | "broke";

/** Why the upload of `key`, `length` bytes, failed after `seen` of them arrived, from how its body ended. */
function uploadFailure(key: string, seen: number, length: number, body: BodyEnding, err: unknown): DomainError {
  if (seen > length) return new DomainError("validation_failed", "body is longer than its Content-Length");
  if (body === "broke") {
    return new DomainError(
      "validation_failed",
      `upload did not complete: ${seen} of ${counted(length, "byte")} arrived`,
    );
  }
  if (body === "ended" && seen < length) {
    return new DomainError("validation_failed", `upload was ${counted(seen, "byte")}, Content-Length said ${length}`);
  }
  // The body was whole, or still coming: storage gave up on it. Nothing is kept (the caller abandons the intent).
  console.warn(`artifact upload to ${key} failed in storage: ${String(err)}`);
  return new DomainError(
    "unavailable",
    `storage did not take the artifact's bytes (${seen} of ${length} had arrived): nothing was kept; upload it again`,
  );
}
