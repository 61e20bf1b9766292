/**
 * @module worker/routes/artifacts
 * Artifact bytes in R2, pointers in the job's JobFeed. Uploads stream straight
 * to R2 through a counter that enforces the size limit and a SHA-256 digest;
 * only the factory holding the job's current lease (at the epoch it names) or
 * an operator may upload.
 *
 * A factory's lease is checked twice: before streaming (a cheap early refusal)
 * and when the pointer is committed (the fence that counts — a slow upload can
 * outlive its lease). Each upload streams to its own object,
 * `<product>/<job>/<epoch>/<upload id>/<name>`, so a stale upload can never
 * overwrite bytes someone else's pointer names; a refused commit deletes its
 * object, and a commit that replaces a pointer deletes the replaced bytes.
 */
import { Hono } from "hono";
import { truncateUtf8 } from "../../core/bytes.ts";
import { DomainError, unwrap } from "../../core/errors.ts";
import type { ArtifactPointer } from "../../durable-objects/feed/artifacts.ts";
import { ArtifactName, ArtifactUploadQuery, EntityId } from "../../shared/api.ts";
import { type ArtifactUploader, feedName } from "../../shared/coordinator-rpc.ts";
import { artifactHeaders } from "../artifact-headers.ts";
import { type AppEnv, actorOf, requireJobReader, requireRole } from "../auth.ts";
import { param, query } from "../validate.ts";

/** Per artifact. Logs and diffs of an agent run fit easily; bigger outputs belong in the repo. */
export const MAX_ARTIFACT_BYTES = 25 * 1024 * 1024;

export const artifacts = new Hono<AppEnv>();

artifacts.post("/jobs/:jobId/artifacts", async (c) => {
  const principal = c.get("principal");
  const productId = c.get("productId");
  const jobId = param(c, "jobId", EntityId);
  const q = query(c, ArtifactUploadQuery);
  let uploader: ArtifactUploader;
  if (principal.kind === "factory") {
    if (q.leaseEpoch === undefined) throw new DomainError("validation_failed", "a factory upload must name leaseEpoch");
    uploader = { kind: "factory", factoryId: principal.factoryId, leaseEpoch: q.leaseEpoch };
    await unwrap(c.get("coordinator").checkLease(productId, principal.factoryId, jobId, q.leaseEpoch));
  } else {
    requireRole(c, "operator");
    uploader = { kind: "operator" };
    await unwrap(c.get("coordinator").getJob(productId, jobId));
  }
  const length = Number(c.req.header("content-length") ?? "NaN");
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
  // 200 bytes of UTF-8 kept (a header is Latin-1: a character past U+007F is two bytes once stored).
  const contentType = truncateUtf8(c.req.header("content-type") ?? "application/octet-stream", 200);
  const epoch = uploader.kind === "factory" ? String(uploader.leaseEpoch) : "operator";
  const r2Key = `${productId}/${jobId}/${epoch}/${crypto.randomUUID()}/${q.name}`;
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
  const body = c.req.raw.body ?? new Blob([]).stream();
  const piping = body.pipeThrough(meter).pipeTo(sized.writable);
  try {
    await Promise.all([c.env.ARTIFACTS.put(r2Key, sized.readable, { httpMetadata: { contentType } }), piping]);
    await digestWriter.close();
  } catch (err) {
    await discard(c.env.ARTIFACTS, r2Key);
    if (err instanceof DomainError) throw err;
    // A body shorter than its Content-Length, or a client that went away mid-upload.
    throw new DomainError("validation_failed", `upload did not complete: ${seen} of ${length} bytes arrived`);
  }
  if (seen !== length) {
    await discard(c.env.ARTIFACTS, r2Key);
    throw new DomainError("validation_failed", `upload was ${seen} bytes, Content-Length said ${length}`);
  }
  const sha256 = [...new Uint8Array(await digest.digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
  const pointer: ArtifactPointer = {
    jobId,
    name: q.name,
    r2Key,
    size: seen,
    contentType,
    sha256,
    createdAt: Date.now(),
    uploadedBy: actorOf(principal),
  };
  const commit = await c.get("coordinator").commitArtifact(productId, uploader, pointer);
  if (!commit.ok) {
    // Fenced at commit: these bytes were never pointed to, and never will be.
    await discard(c.env.ARTIFACTS, r2Key);
    await unwrap(commit);
  } else if (commit.value.replaced) {
    await discard(c.env.ARTIFACTS, commit.value.replaced.r2Key);
  }
  return c.json(view(pointer), 201);
});

artifacts.get("/jobs/:jobId/artifacts", async (c) => {
  const jobId = param(c, "jobId", EntityId);
  await requireJobReader(c, jobId);
  await unwrap(c.get("coordinator").getJob(c.get("productId"), jobId));
  const list = await c.env.JOB_FEED.getByName(feedName(c.get("productId"), jobId)).listArtifacts();
  return c.json({ artifacts: list.map(view) });
});

artifacts.get("/jobs/:jobId/artifacts/:name", async (c) => {
  const jobId = param(c, "jobId", EntityId);
  await requireJobReader(c, jobId);
  const name = param(c, "name", ArtifactName);
  await unwrap(c.get("coordinator").getJob(c.get("productId"), jobId));
  const pointer = await c.env.JOB_FEED.getByName(feedName(c.get("productId"), jobId)).getArtifact(name);
  const object = pointer ? await c.env.ARTIFACTS.get(pointer.r2Key) : null;
  if (!pointer || !object) throw new DomainError("not_found", `job ${jobId} has no artifact ${name}`);
  return new Response(object.body, {
    headers: {
      ...artifactHeaders(pointer.name, pointer.contentType),
      "content-length": String(pointer.size),
      etag: `"${pointer.sha256}"`,
      "x-content-sha256": pointer.sha256,
    },
  });
});

artifacts.delete("/jobs/:jobId/artifacts/:name", async (c) => {
  requireRole(c, "operator");
  const jobId = param(c, "jobId", EntityId);
  const name = param(c, "name", ArtifactName);
  await unwrap(c.get("coordinator").getJob(c.get("productId"), jobId));
  const removed = await c.env.JOB_FEED.getByName(feedName(c.get("productId"), jobId)).deleteArtifact(name, Date.now());
  if (!removed) throw new DomainError("not_found", `job ${jobId} has no artifact ${name}`);
  await c.env.ARTIFACTS.delete(removed.r2Key);
  return c.json(view(removed));
});

/**
 * Delete bytes no pointer names (a refused or broken upload, a replaced artifact). A failure
 * here leaves an orphan object that is never served — logged, not worth failing the request for.
 */
async function discard(bucket: R2Bucket, key: string): Promise<void> {
  try {
    await bucket.delete(key);
  } catch (err) {
    console.warn(`artifact bytes left behind at ${key}: ${String(err)}`);
  }
}

function view(p: ArtifactPointer) {
  const { r2Key: _key, ...rest } = p;
  return rest;
}
