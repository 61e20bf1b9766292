/**
 * @module worker/artifact-headers
 * How an artifact is served: the uploader's declared content type is never
 * trusted. Types a browser cannot execute are shown inline — text as
 * `text/plain; charset=utf-8`, raster images as themselves — and everything else
 * (HTML, SVG, JavaScript, PDF, unknown types) is a download of
 * `application/octet-stream`. Always `nosniff` and a sandboxing CSP, so an
 * artifact opened in the API's origin cannot run script there.
 */
import { z } from "zod";
import { utf8Text } from "../core/bytes.ts";

/** `If-None-Match` of an artifact download: entity tags, 8 KiB at most, compared by `noneMatchHits`. */
export const IfNoneMatchHeader = utf8Text(8 * 1024, z.string());

/** Declared types shown inline as plain text: logs, patches, data a reader wants to see. */
const INLINE_AS_TEXT: ReadonlySet<string> = new Set([
  "text/plain",
  "text/x-diff",
  "text/x-patch",
  "text/markdown",
  "text/csv",
  "application/json",
  "application/x-ndjson",
]);

/** Raster images: no script in them. (SVG is not here: it is a document that can carry script.) */
const INLINE_IMAGES: ReadonlySet<string> = new Set(["image/png", "image/jpeg", "image/gif", "image/webp"]);

/** The media type without parameters, lowercased: `Text/HTML; charset=x` → `text/html`. */
export function mediaType(contentType: string): string {
  return (contentType.split(";")[0] ?? "").trim().toLowerCase();
}

/**
 * The response headers for serving an artifact named `name` (an `ArtifactName`,
 * so safe inside a quoted filename) that was uploaded as `declared`.
 */
export function artifactHeaders(name: string, declared: string): Record<string, string> {
  const type = mediaType(declared);
  const shown = INLINE_AS_TEXT.has(type) ? "text/plain; charset=utf-8" : INLINE_IMAGES.has(type) ? type : undefined;
  return {
    "content-type": shown ?? "application/octet-stream",
    "content-disposition": `${shown ? "inline" : "attachment"}; filename="${name}"`,
    "x-content-type-options": "nosniff",
    // Even if a browser renders it, it renders in a sandbox with nothing allowed.
    "content-security-policy": "default-src 'none'; sandbox",
  };
}

/**
 * Whether an `If-None-Match` header value names `etag` (a strong `"…"` tag): `*`, or any listed tag equal to it under
 * the weak comparison RFC 9110 §13.1.2 prescribes for this header (a `W/` prefix ignored). Absent header → false.
 */
export function noneMatchHits(ifNoneMatch: string | undefined, etag: string): boolean {
  if (ifNoneMatch === undefined) return false;
  const wanted = etag.replace(/^W\//, "");
  return ifNoneMatch.split(",").some((tag) => {
    const t = tag.trim();
    return t === "*" || t.replace(/^W\//, "") === wanted;
  });
}
