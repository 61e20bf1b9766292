/**
 * @module worker/routes/jobs
 * Jobs, as operators and viewers see them: submit (JSON or a markdown
 * manifest), list, read, explain, runs, and the operator actions.
 */
import { Hono } from "hono";
import { z } from "zod";
import { truncateUtf8 } from "../../core/bytes.ts";
import { DomainError, unwrap } from "../../core/errors.ts";
import { parseManifest, validateManifest } from "../../core/manifest.ts";
import { ActionBody, ActionParam, EntityId, IdempotencyKeyHeader, JobListQuery } from "../../shared/api.ts";
import { mediaTypeOf } from "../../shared/foreign-answer.ts";
import { type AppEnv, actorOf, openerOf, requireJobReader, requireRole, reviewerOf } from "../auth.ts";
import { fromZod } from "../problem.ts";
import { singleHeader } from "../single-header.ts";
import {
  assertTextWithin,
  body,
  header,
  MAX_MANIFEST_BYTES,
  MAX_SUBMIT_JSON_BYTES,
  noQuery,
  param,
  query,
  readJson,
  readText,
} from "../validate.ts";

/**
 * No length rule here: the body is read with a byte cap (`readJson`), and the text's own bytes are checked below by
 * `assertTextWithin` — a 413 `payload_too_large`, as for a markdown body, rather than a 400 for the same excess.
 */
const MarkdownForm = z.object({ markdown: z.string().min(1) }).strict();
const ManifestForm = z.object({ manifest: z.unknown(), bodyMd: z.string().default("") }).strict();
export const SubmitJobBody = z.union([MarkdownForm, ManifestForm]);

/** What a JSON submission may be: said whenever a body is neither (a failed union said only "body: Invalid input"). */
const SUBMIT_FORMS = "expected {manifest, bodyMd?} or {markdown}";
/** The media types `POST …/jobs` reads, named in its 415. */
const SUBMIT_TYPES = "application/json, text/markdown or text/plain";

/**
 * A JSON submission: a body that names one form by its key (`markdown`, `manifest`) is refused with that form's own
 * issues (`body.markdown: …`); one that names neither with both forms and the keys it had.
 * @throws DomainError validation_failed (400)
 */
function submitBody(raw: unknown): z.infer<typeof SubmitJobBody> {
  const parsed = SubmitJobBody.safeParse(raw);
  if (parsed.success) return parsed.data;
  const object = typeof raw === "object" && raw !== null && !Array.isArray(raw) ? raw : undefined;
  const form = object && ("markdown" in object ? MarkdownForm : "manifest" in object ? ManifestForm : undefined);
  const own = form?.safeParse(raw);
  if (own && !own.success) throw fromZod("body", own.error);
  // At most 5 keys of 40 bytes each: the answer echoes the caller's input, so it is bounded — cut between characters
  // (a cut by UTF-16 units split an emoji, and strict JSON parsers refuse the lone surrogate the answer then held).
  const keys = object
    ? Object.keys(object)
        .slice(0, 5)
        .map((k) => truncateUtf8(k, 40))
    : [];
  const got = object
    ? `an object with ${keys.length ? `keys ${keys.join(", ")}` : "no keys"}`
    : Array.isArray(raw)
      ? "an array"
      : raw === null
        ? "null"
        : typeof raw;
  const detail = `body: ${SUBMIT_FORMS}, got ${got}`;
  throw new DomainError("validation_failed", detail, {
    issues: [{ path: "body", message: `${SUBMIT_FORMS}, got ${got}` }],
  });
}

export const jobs = new Hono<AppEnv>();

jobs.post("/jobs", async (c) => {
  const principal = requireRole(c, "operator");
  noQuery(c);
  // The header's key is the manifest's key, so it has the manifest key's limit (a header was 200 characters).
  const headerKey = header(c, "Idempotency-Key", IdempotencyKeyHeader);
  const type = mediaTypeOf(singleHeader(c.req.raw.headers, "Content-Type"));
  let input: { manifest: ReturnType<typeof validateManifest>; bodyMd: string };
  if (type === "text/markdown" || type === "text/plain") {
    input = parseManifest(await readText(c, MAX_MANIFEST_BYTES));
  } else {
    const b = submitBody(await readJson(c, MAX_SUBMIT_JSON_BYTES, false, SUBMIT_TYPES));
    assertTextWithin(
      "markdown" in b ? "markdown" : "bodyMd",
      "markdown" in b ? b.markdown : b.bodyMd,
      MAX_MANIFEST_BYTES,
    );
    input = "markdown" in b ? parseManifest(b.markdown) : { manifest: validateManifest(b.manifest), bodyMd: b.bodyMd };
  }
  if (headerKey !== undefined) {
    if (input.manifest.idempotencyKey && input.manifest.idempotencyKey !== headerKey) {
      throw new DomainError("validation_failed", "Idempotency-Key header and manifest idempotencyKey differ");
    }
    input.manifest = { ...input.manifest, idempotencyKey: headerKey };
  }
  const { job, created } = await unwrap(
    c.get("coordinator").submit(c.get("productId"), input, actorOf(principal), openerOf(c)),
  );
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
  noQuery(c);
  return c.json(await unwrap(c.get("coordinator").getJob(c.get("productId"), id)));
});

jobs.get("/jobs/:jobId/explain", async (c) => {
  requireRole(c, "viewer");
  noQuery(c);
  const id = param(c, "jobId", EntityId);
  return c.json(await unwrap(c.get("coordinator").explain(c.get("productId"), id)));
});

jobs.get("/jobs/:jobId/runs", async (c) => {
  const id = param(c, "jobId", EntityId);
  await requireJobReader(c, id);
  noQuery(c);
  return c.json({ runs: await unwrap(c.get("coordinator").listRuns(c.get("productId"), id)) });
});

jobs.post("/jobs/:jobId/actions/:action", async (c) => {
  const principal = requireRole(c, "operator");
  noQuery(c);
  const id = param(c, "jobId", EntityId);
  const action = param(c, "action", ActionParam);
  const input = await body(c, ActionBody, true);
  const outcome = await unwrap(
    c.get("coordinator").action(
      c.get("productId"),
      id,
      action,
      {
        ...input,
        actor: actorOf(principal),
        // approve/reject count the caller's credential; a `reviewer` in the body is only a label (core/review).
        by: reviewerOf(principal),
      },
      openerOf(c),
    ),
  );
  return c.json(outcome.job);
});
