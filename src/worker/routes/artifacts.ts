/**
 * @module worker/routes/artifacts
 * Artifact bytes in R2, pointers in the job's JobFeed. Uploads stream straight
 * to R2 (worker/artifact-upload) with a size limit and a SHA-256 digest; only
 * the factory holding the job's current lease (at the epoch it names) or an
 * operator may upload, within the job's limits (core/artifact-limits), and not
 * to a terminal job whose feed retention has purged (410 feed_purged).
 *
 * A factory's lease is checked twice: before streaming (a cheap early refusal)
 * and when the pointer is committed (the fence that counts — a slow upload can
 * outlive its lease). Each upload streams to its own object,
 * `<product>/<job>/<epoch>/<upload id>/<name>`, so a stale upload can never
 * overwrite bytes someone else's pointer names. Before a byte streams, the key is
 * recorded in the JobFeed as an upload intent: whatever fails afterwards — a
 * refused commit, a commit that throws, a request that dies — the feed deletes
 * bytes no pointer names (feed/upload-intents), including a replaced pointer's.
 *
 * A download's ETag is the bytes' sha256: `If-None-Match` naming it is a 304, and HEAD is answered from the pointer,
 * so neither reads R2. One byte range is served (206) through R2's range read, never the whole object
 * (worker/artifact-range: `Range`, `If-Range`, 416).
 */
import { type Context, Hono } from "hono";
import { counted } from "../../core/counted.ts";
import { DomainError, unwrap } from "../../core/errors.ts";
import { settledAt } from "../../core/retention.ts";
import type { ArtifactPointer } from "../../durable-objects/feed/artifacts.ts";
import { ArtifactListQuery, ArtifactName, ArtifactUploadQuery, EntityId } from "../../shared/api.ts";
import { type ArtifactUploader, feedName } from "../../shared/coordinator-rpc.ts";
import { artifactHeaders, IfNoneMatchHeader, noneMatchHits } from "../artifact-headers.ts";
import { contentRange, IfRangeHeader, planRange, RangeHeader } from "../artifact-range.ts";
import { declaredUpload, streamToR2 } from "../artifact-upload.ts";
import { type AppEnv, actorOf, openerOf, requireJobReader, requireRole } from "../auth.ts";
import { problemResponse } from "../problem.ts";
import { header, noBody, noQuery, param, query } from "../validate.ts";
import { abandon, sweep } from "./artifacts-cleanup.ts";

export const artifacts = new Hono<AppEnv>();

artifacts.post("/jobs/:jobId/artifacts", async (c) => {
  const principal = c.get("principal");
  const productId = c.get("productId");
  const jobId = param(c, "jobId", EntityId);
  const q = query(c, ArtifactUploadQuery);
  let uploader: ArtifactUploader;
  let settled: number | null = null; // a leased job is never terminal
  if (principal.kind === "factory") {
    if (q.leaseEpoch === undefined) throw new DomainError("validation_failed", "a factory upload must name leaseEpoch");
    uploader = { kind: "factory", factoryId: principal.factoryId, leaseEpoch: q.leaseEpoch };
    await unwrap(c.get("coordinator").checkLease(productId, principal.factoryId, jobId, q.leaseEpoch));
  } else {
    requireRole(c, "operator");
    // Ignored, it let an operator believe the upload was fenced on that lease (a factory's upload is; theirs is not).
    if (q.leaseEpoch !== undefined)
      throw new DomainError(
        "validation_failed",
        "leaseEpoch is a factory's: an operator's upload is not fenced on a lease, so leave it out",
      );
    uploader = { kind: "operator" };
    settled = settledAt(await unwrap(c.get("coordinator").getJob(productId, jobId)));
  }
  const { length, contentType } = declaredUpload(c.req.raw.headers);
  const epoch = uploader.kind === "factory" ? String(uploader.leaseEpoch) : "operator";
  const r2Key = `${productId}/${jobId}/${epoch}/${crypto.randomUUID()}/${q.name}`;
  const feed = c.env.JOB_FEED.getByName(feedName(productId, jobId));
  // Early refusals (limits, a purged feed) before a byte streams; then the key is the feed's until committed.
  await unwrap(feed.intendUpload(productId, jobId, { r2Key, name: q.name, size: length, settledAt: settled }));
  let pointer: ArtifactPointer;
  try {
    const stored = await streamToR2(c.env.ARTIFACTS, c.req.raw.body, r2Key, length, contentType);
    pointer = {
      jobId,
      name: q.name,
      r2Key,
      ...stored,
      contentType,
      createdAt: Date.now(),
      uploadedBy: actorOf(principal),
    };
    // A throw here (an RPC error, a coordinator reset) may come after the feed recorded the pointer: abandoning
    // keeps bytes a pointer names, and a commit still on its way finds no intent and is refused.
    await unwrap(c.get("coordinator").commitArtifact(productId, uploader, pointer, openerOf(c)));
  } catch (err) {
    await abandon(feed, r2Key);
    throw err;
  }
  await sweep(feed); // the bytes of the pointer this one replaced
  return c.json(view(pointer), 201);
});

artifacts.get("/jobs/:jobId/artifacts", async (c) => {
  const jobId = param(c, "jobId", EntityId);
  await requireJobReader(c, jobId);
  const q = query(c, ArtifactListQuery);
  await unwrap(c.get("coordinator").getJob(c.get("productId"), jobId));
  const feed = c.env.JOB_FEED.getByName(feedName(c.get("productId"), jobId));
  const page = await feed.listArtifacts(q.cursor ?? "", q.limit);
  const last = page.pointers.at(-1);
  return c.json({ artifacts: page.pointers.map(view), ...(page.more && last ? { nextCursor: last.name } : {}) });
});

artifacts.get("/jobs/:jobId/artifacts/:name", async (c) => {
  const jobId = param(c, "jobId", EntityId);
  await requireJobReader(c, jobId);
  noQuery(c);
  const name = param(c, "name", ArtifactName);
  const held = header(c, "If-None-Match", IfNoneMatchHeader);
  const asked = header(c, "Range", RangeHeader);
  const ifRange = header(c, "If-Range", IfRangeHeader);
  await unwrap(c.get("coordinator").getJob(c.get("productId"), jobId));
  const feed = c.env.JOB_FEED.getByName(feedName(c.get("productId"), jobId));
  const pointer = await feed.getArtifact(name);
  if (!pointer) throw new DomainError("not_found", `job ${jobId} has no artifact ${name}`);
  // The pointer alone answers a revalidation or a HEAD: its sha256 is the bytes' identity, so neither reads R2.
  // If-None-Match comes before Range (RFC 9110 §13.2.2), and a HEAD ignores Range (§14.2: defined for GET only).
  const etag = `"${pointer.sha256}"`;
  if (noneMatchHits(held, etag)) {
    return new Response(null, { status: 304, headers: { etag, "x-content-sha256": pointer.sha256 } });
  }
  if (c.req.method === "HEAD") return new Response(null, { headers: served(pointer) });
  /** `p`'s bytes (the range asked of them, read from R2 alone), or null when R2 no longer holds them. */
  const answer = async (p: ArtifactPointer): Promise<Response | null> => {
    const plan = planRange(p.size, `"${p.sha256}"`, asked, ifRange);
    if (plan.kind === "unsatisfiable") return unsatisfiable(c, p);
    const range = plan.kind === "part" ? { offset: plan.offset, length: plan.length } : undefined;
    const object = await readBytes(c.env.ARTIFACTS, p.r2Key, range);
    if (!object) return null;
    if (plan.kind === "whole") return new Response(object.body, { headers: served(p) });
    const part = { "content-length": String(plan.length), "content-range": contentRange(plan, p.size) };
    return new Response(object.body, { status: 206, headers: { ...served(p), ...part } });
  };
  // R2 without the bytes: a re-upload committed between the two reads, and its sweep deleted the bytes read of —
  // serve the new ones (its range planned again: another size, another ETag).
  const again = async () => {
    const now = await feed.getArtifact(name);
    return now ? answer(now) : null;
  };
  const res = (await answer(pointer)) ?? (await again());
  if (!res) throw new DomainError("not_found", `job ${jobId} has no artifact ${name}`);
  return res;
});

/**
 * The headers of an artifact's download (a HEAD's too): how it is shown, its length and its sha256 as the ETag, and
 * that a byte range of it may be asked for.
 */
function served(pointer: ArtifactPointer): Record<string, string> {
  return {
    ...artifactHeaders(pointer.name, pointer.contentType),
    "content-length": String(pointer.size),
    etag: `"${pointer.sha256}"`,
    "x-content-sha256": pointer.sha256,
    "accept-ranges": "bytes",
  };
}

/**
 * The 416 of a range that selects none of `pointer`'s bytes: a problem (range_not_satisfiable) with `Content-Range: bytes *\/size` (RFC 9110 §15.5.17), so the client learns the size.
 */
function unsatisfiable(c: Context<AppEnv>, pointer: ArtifactPointer): Response {
  const detail = `the range asked starts past the end of ${pointer.name} (${counted(pointer.size, "byte")}): ask for one before it`;
  const res = problemResponse(c, new DomainError("range_not_satisfiable", detail, { size: pointer.size }));
  res.headers.set("content-range", contentRange({ kind: "unsatisfiable" }, pointer.size));
  res.headers.set("accept-ranges", "bytes");
  return res;
}

artifacts.delete("/jobs/:jobId/artifacts/:name", async (c) => {
  requireRole(c, "operator");
  noQuery(c);
  await noBody(c);
  const jobId = param(c, "jobId", EntityId);
  const name = param(c, "name", ArtifactName);
  // The feed appends `artifact.deleted` itself: the job's events still held in the coordinator's outbox (core/feed-hold)
  // are shipped first, or they would land after it — as the commit does (coordinator/jobs/artifact-commit): all of
  // them, or a 503 (outbox/shipper feedBehind).
  // Its credential checked live there too, as every write's is (coordinator runtime/units `runAs`).
  await unwrap(c.get("coordinator").openFeed(c.get("productId"), jobId, true, openerOf(c)));
  const feed = c.env.JOB_FEED.getByName(feedName(c.get("productId"), jobId));
  const removed = await feed.deleteArtifact(name, Date.now());
  if (!removed) throw new DomainError("not_found", `job ${jobId} has no artifact ${name}`);
  await sweep(feed);
  return c.json(view(removed));
});

/**
 * The bytes at `key` (only `range` of them when given: R2 reads no more), or null when R2 has none. R2 failing to
 * answer is a 503 that says to download again (the artifact is there; a retry may pass), not a 500 "unexpected error".
 */
async function readBytes(
  bucket: R2Bucket,
  key: string,
  range?: { offset: number; length: number },
): Promise<R2ObjectBody | null> {
  try {
    return await bucket.get(key, range ? { range } : undefined);
  } catch (err) {
    console.warn(`artifact bytes ${key} not read: ${String(err)}`);
    throw new DomainError("unavailable", "storage did not give the artifact's bytes: download it again");
  }
}

function view(p: ArtifactPointer) {
  const { r2Key: _key, ...rest } = p;
  return rest;
}
