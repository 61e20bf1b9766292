/**
 * @module worker/routes/jobs
 * Jobs, as operators and viewers see them: submit (JSON or a markdown
 * manifest), list, read, explain, runs, and the operator actions.
 */
import { Hono } from "hono";
import { z } from "zod";
import { utf8Text } from "../../core/bytes.ts";
import { DomainError, unwrap } from "../../core/errors.ts";
import { parseManifest, validateManifest } from "../../core/manifest.ts";
import { IDEMPOTENCY_KEY_MAX_BYTES } from "../../core/manifest-schema.ts";
import { ActionBody, ActionParam, EntityId, JobListQuery } from "../../shared/api.ts";
import { type AppEnv, actorOf, requireJobReader, requireRole, reviewerOf } from "../auth.ts";
import { fromZod } from "../problem.ts";
import { assertTextWithin, body, MAX_MANIFEST_BYTES, param, query, readJson, readText } from "../validate.ts";

/** zod's caps count characters: they only refuse the hopeless early (a character is at least a byte); bytes are checked below. */
export const SubmitJobBody = z.union([
  z.object({ markdown: z.string().min(1).max(MAX_MANIFEST_BYTES) }).strict(),
  z.object({ manifest: z.unknown(), bodyMd: z.string().max(MAX_MANIFEST_BYTES).default("") }).strict(),
]);

/** The header's key is the manifest's key, so it has the manifest key's limit (a header was 200 characters). */
const IdempotencyKeyHeader = utf8Text(IDEMPOTENCY_KEY_MAX_BYTES, z.string().min(1));

export const jobs = new Hono<AppEnv>();

jobs.post("/jobs", async (c) => {
  const principal = requireRole(c, "operator");
  const type = (c.req.header("content-type") ?? "").toLowerCase();
  let input: { manifest: ReturnType<typeof validateManifest>; bodyMd: string };
  if (type.startsWith("text/markdown") || type.startsWith("text/plain")) {
    input = parseManifest(await readText(c, MAX_MANIFEST_BYTES));
  } else {
    const parsed = SubmitJobBody.safeParse(await readJson(c, MAX_MANIFEST_BYTES + 4096));
    if (!parsed.success) throw fromZod("body", parsed.error);
    const b = parsed.data;
    assertTextWithin(
      "markdown" in b ? "markdown" : "bodyMd",
      "markdown" in b ? b.markdown : b.bodyMd,
      MAX_MANIFEST_BYTES,
    );
    input = "markdown" in b ? parseManifest(b.markdown) : { manifest: validateManifest(b.manifest), bodyMd: b.bodyMd };
  }
  const headerKey = c.req.header("idempotency-key");
  if (headerKey !== undefined) {
    const key = IdempotencyKeyHeader.safeParse(headerKey);
    if (!key.success) throw fromZod("Idempotency-Key", key.error);
    if (input.manifest.idempotencyKey && input.manifest.idempotencyKey !== key.data) {
      throw new DomainError("validation_failed", "Idempotency-Key header and manifest idempotencyKey differ");
    }
    input.manifest = { ...input.manifest, idempotencyKey: key.data };
  }
  const { job, created } = await unwrap(c.get("coordinator").submit(c.get("productId"), input, actorOf(principal)));
  if (!created) c.header("idempotent-replayed", "true");
  return c.json(job, created ? 201 : 200);
});

jobs.get("/jobs", async (c) => {
  requireRole(c, "viewer");
  const q = query(c, JobListQuery);
  return c.json(await unwrap(c.get("coordinator").listJobs(c.get("productId"), q)));
});

jobs.get("/jobs/:jobId", async (c) => {
  const id = param(c, "jobId", EntityId);
  await requireJobReader(c, id);
  return c.json(await unwrap(c.get("coordinator").getJob(c.get("productId"), id)));
});

jobs.get("/jobs/:jobId/explain", async (c) => {
  requireRole(c, "viewer");
  const id = param(c, "jobId", EntityId);
  return c.json(await unwrap(c.get("coordinator").explain(c.get("productId"), id)));
});

jobs.get("/jobs/:jobId/runs", async (c) => {
  const id = param(c, "jobId", EntityId);
  await requireJobReader(c, id);
  return c.json({ runs: await unwrap(c.get("coordinator").listRuns(c.get("productId"), id)) });
});

jobs.post("/jobs/:jobId/actions/:action", async (c) => {
  const principal = requireRole(c, "operator");
  const id = param(c, "jobId", EntityId);
  const action = param(c, "action", ActionParam);
  const input = await body(c, ActionBody, true);
  const outcome = await unwrap(
    c.get("coordinator").action(c.get("productId"), id, action, {
      ...input,
      actor: actorOf(principal),
      // approve/reject count the caller's credential; a `reviewer` in the body is only a label (core/review).
      by: reviewerOf(principal),
    }),
  );
  return c.json(outcome.job);
});
