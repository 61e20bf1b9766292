/**
 * @module worker/openapi-ops-feeds
 * What a job leaves behind, as operations of the OpenAPI document: its artifacts and the product's history in D1
 * (its event log is in worker/openapi-ops-events). Each with the zod schemas that validate its query and describe its
 * answer.
 */
import {
  ARTIFACT_PAGE_DEFAULT,
  MAX_ARTIFACT_BYTES,
  MAX_ARTIFACTS_PER_JOB,
  MAX_JOB_ARTIFACT_BYTES,
} from "../core/artifact-limits.ts";
import { COMMIT_FEED_MS } from "../durable-objects/coordinator/jobs/artifact-commit.ts";
import { ArtifactListQuery, ArtifactUploadQuery } from "../shared/api.ts";
import { HistoryPageSchema, HistoryQuery } from "../shared/api-history.ts";
import { ArtifactListSchema, ArtifactSchema } from "../shared/api-job-answers.ts";
import { IfNoneMatchHeader } from "./artifact-headers.ts";
import { IfRangeHeader, RangeHeader } from "./artifact-range.ts";
import { type Op, P } from "./openapi-ops.ts";
import { empty, json, type Reply } from "./openapi-schemas.ts";

const MIB = (bytes: number) => `${bytes / (1024 * 1024)} MiB`;

/** What an artifact download is shown as (worker/artifact-headers), whole or in part. */
const DOWNLOAD_MEDIA = ["text/plain", "image/*", "application/octet-stream"];
/** The headers of an artifact download, whole or in part. */
const DOWNLOAD_HEADERS: Record<string, string> = {
  "x-content-sha256": "hex SHA-256 of the whole artifact's bytes, as the artifact's listing gives it",
  etag: "the same digest, quoted (a strong ETag: what If-Range names)",
  "content-disposition": "inline (text, raster images) or attachment, with the artifact's name as filename",
  "accept-ranges": "bytes: one byte range may be asked for (Range)",
};

/**
 * The 206 of a download. Typed as a plain map: worker/openapi-schemas `SuccessStatus` does not list 206 (a file outside
 * this change; adding "206" there lets this be written inline with the other replies), and the document renders
 * whatever statuses a reply map holds.
 */
const PARTIAL: Record<string, Reply> = {
  "206": {
    description: "The one byte range asked for (Range, and If-Range naming this ETag when sent)",
    media: DOWNLOAD_MEDIA,
    headers: {
      ...DOWNLOAD_HEADERS,
      "content-range": "bytes first-last/size: where these bytes sit in the whole artifact",
      "content-length": "the range's length, bytes",
    },
  },
};

/** A job's artifacts. */
export const ARTIFACT_OPS: Op[] = [
  {
    method: "post",
    path: `${P}/jobs/{jobId}/artifacts`,
    operationId: "uploadArtifact",
    summary: "Upload an artifact (raw body, Content-Length required)",
    description:
      `Upload an artifact (raw body, Content-Length required, ≤ ${MIB(MAX_ARTIFACT_BYTES)}); the lease is re-checked ` +
      "when the upload ends (409 fenced if lost meanwhile). A job keeps at most " +
      `${MAX_ARTIFACTS_PER_JOB} artifacts (409 too_many_artifacts for a new name) of ${MIB(MAX_JOB_ARTIFACT_BYTES)} ` +
      "in all (413 payload_too_large naming the limit); a re-upload of a name replaces it and counts once. " +
      "Uploads in flight count too: each reserves its name and its Content-Length when it begins, until it ends, " +
      "so these refusals come before a byte streams. " +
      "410 feed_purged for a terminal job whose feed and artifacts retention has purged. 400 when the body is longer " +
      "or shorter than its Content-Length or breaks off; 503 unavailable when storage refused the bytes, or when " +
      "the job's earlier events could not all reach its feed first, or its feed did not take the pointer within " +
      `${COMMIT_FEED_MS / 1000} s (upload again after its Retry-After: the rest of an outage backoff window when ` +
      "the feed's probe was refused in it). Content-Length is decimal digits; Content-Type is printable ASCII (a control, bidi or other " +
      "non-ASCII character is 400 validation_failed), cut to 200 characters, application/octet-stream when absent " +
      "or empty; a body under a Content-Encoding other than identity is 415 unsupported_media_type (send it as is). A factory names its lease's leaseEpoch (400 without); an operator's upload is not fenced on a lease " +
      "and names none (400 with one). A refusal stores nothing",
    role: "uploader",
    query: ArtifactUploadQuery,
    rawBody: {
      types: ["*/*"],
      description: "The artifact's bytes, stored with this Content-Type",
      binary: true,
      maxBytes: MAX_ARTIFACT_BYTES,
    },
    ok: { "201": json("The artifact stored", ArtifactSchema) },
  },
  {
    method: "get",
    path: `${P}/jobs/{jobId}/artifacts`,
    operationId: "listArtifacts",
    summary: "A page of a job's artifacts, in name order",
    description:
      `A page of a job's artifacts, in name order: \`limit\` of them (default ${ARTIFACT_PAGE_DEFAULT}, at most ` +
      `${MAX_ARTIFACTS_PER_JOB}: a whole job); ` +
      "`nextCursor` when more follow, passed back as `cursor` for the names after it",
    role: "job-reader",
    query: ArtifactListQuery,
    ok: { "200": json("One per name, in name order, and where the next page starts", ArtifactListSchema) },
  },
  {
    method: "get",
    path: `${P}/jobs/{jobId}/artifacts/{name}`,
    operationId: "downloadArtifact",
    summary: "Download an artifact, whole or one byte range of it",
    description:
      "Download an artifact (nosniff; text as text/plain, raster images inline, anything else an attachment of " +
      "application/octet-stream); its ETag is its sha256, and HEAD answers the same headers without the bytes; " +
      "503 unavailable when storage did not give its bytes (download again). One byte range (`Range`, RFC 9110 §14) " +
      "is answered 206 with Content-Range and that range's Content-Length, with the same headers otherwise — so a " +
      "cut download resumes (send the ETag the bytes held came with as If-Range: another version is then answered " +
      "200 whole, never spliced). Several ranges, another unit or a malformed Range are answered 200 whole (a " +
      "multipart answer's own type would replace the one chosen for safety); HEAD ignores Range. 416 " +
      "range_not_satisfiable when the range selects no byte (it starts at or past the end; `size` in the problem), " +
      "with `Content-Range: bytes */size`",
    role: "job-reader",
    headers: [
      {
        name: "If-None-Match",
        description: "Entity tags already held (`*`, or a list; `W/` ignored): 304 when one is this artifact's ETag",
        schema: IfNoneMatchHeader,
      },
      { name: "Range", description: "One byte range of the artifact: 206 with those bytes", schema: RangeHeader },
      { name: "If-Range", description: "Serve the Range only if this is the artifact's ETag", schema: IfRangeHeader },
    ],
    ok: {
      "200": {
        description: "The artifact's bytes",
        media: DOWNLOAD_MEDIA,
        // What a client checks a download against (the CLI's `artifact ID NAME` refuses bytes that do not match).
        headers: DOWNLOAD_HEADERS,
      },
      ...PARTIAL,
      "304": {
        ...empty("Not modified: If-None-Match named this artifact's ETag (no body)"),
        headers: { etag: "the artifact's ETag (its SHA-256, quoted)", "x-content-sha256": "hex SHA-256 of the bytes" },
      },
    },
  },
  {
    method: "delete",
    path: `${P}/jobs/{jobId}/artifacts/{name}`,
    operationId: "deleteArtifact",
    summary: "Delete an artifact",
    description:
      "Its `artifact.deleted` event goes after every event of the job before it: 503 unavailable while those " +
      "cannot all reach the job's feed (nothing deleted: send again after its Retry-After — the rest of an outage " +
      "backoff window when the feed's probe was refused in it)",
    role: "operator",
    ok: { "200": json("The artifact as it was", ArtifactSchema) },
  },
];

/** History kept in D1. */
export const HISTORY_OPS: Op[] = [
  {
    method: "get",
    path: `${P}/history`,
    operationId: "listHistory",
    summary: "History from D1: snapshots, runs, audit",
    description:
      "History from D1: snapshots, runs, audit. Trails the coordinator by about a second (the outbox, then the " +
      "history queue's batch), or by up to about a minute while the coordinator is loaded (200 or more units a " +
      "second, with work waiting for seats or frames queued): history gives way to dispatch then. Rows reach D1 out " +
      "of time order (a retried delivery lands after later ones; a run's row changes when it ends, and when a charge " +
      "after its end raises its cost or tokens), so paging is by " +
      "keyset in two orders: without a cursor a BROWSE, oldest first in the kind's time key order over what D1 holds " +
      "at that first page — pass `nextCursor` back as `cursor` while `more` (none twice, however many share a " +
      "millisecond). The browse's last page returns a FOLLOW cursor: its pages hold what reached D1 after that, in " +
      "arrival order (`ingestSeq`), each row that landed late or changed (a run's outcome, its charge) once more; an empty page " +
      "returns the cursor it was given. Browse then follow sees every row, and every change of one, exactly once. A " +
      "cursor the API did not issue, or of another kind, is a 400; one issued before follow cursors existed goes on " +
      "browsing. While D1 cannot be read: 503 unavailable (the history is kept; try again)",
    role: "viewer",
    query: HistoryQuery,
    ok: {
      "200": json(
        "The kind asked for, its rows (a browse: oldest first in the kind's time key order; a follow: in the order " +
          "they reached D1), and where the next page starts",
        HistoryPageSchema,
      ),
    },
  },
];
