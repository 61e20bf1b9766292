/**
 * @module shared/api-alerts
 * Request and answer shapes of the alerts, health and webhook API (issue 9, parts 5–6), shared by the Worker
 * (validation), the OpenAPI document, the CLI and tests.
 */
import { z } from "zod";
import { ALERT_STATES } from "../core/alerts.ts";
import { utf8Bytes, utf8Text } from "../core/bytes.ts";
import { queryInt } from "./api.ts";

/** `GET …/alerts?state=&limit=&cursor=`: newest first; the cursor is the last id of the previous page. */
export const AlertListQuery = z
  .object({
    state: z.enum(ALERT_STATES).optional(),
    limit: queryInt(z.number().min(1).max(200)).default(50),
    cursor: z
      .string()
      .regex(/^al_[0-9a-z]{12,40}$/, "an alert id from nextCursor")
      .optional(),
  })
  .strict();

/** An alert id as minted by the coordinator (runtime/tx `newId("al", …)`). */
export const AlertIdParam = z.string().regex(/^al_[0-9a-z]{12,40}$/, "an alert id such as al_…");

/**
 * Hosts allowed over plain http: loopback only. A webhook carries job titles and alert text and its signature
 * protects integrity, not secrecy — so anything leaving the machine must use TLS. Loopback traffic never leaves
 * the host, which is what local development and the end-to-end tests (a receiver on 127.0.0.1) need.
 */
const LOOPBACK_HOSTS = new Set(["127.0.0.1", "localhost", "[::1]"]);

/** The URL, or undefined: zod runs every refinement even after `.url()` failed, so none may throw. */
function parsed(raw: string): URL | undefined {
  return URL.canParse(raw) ? new URL(raw) : undefined;
}

export const WebhookUrl = utf8Text(2048, z.string().url())
  .refine((raw) => {
    const u = parsed(raw);
    return u !== undefined && (u.protocol === "https:" || (u.protocol === "http:" && LOOPBACK_HOSTS.has(u.hostname)));
  }, "an https URL (plain http only for 127.0.0.1, localhost or [::1])")
  .refine((raw) => {
    const u = parsed(raw);
    return u !== undefined && u.username === "" && u.password === "";
  }, "no credentials in the URL: the signature authenticates deliveries");

/** A webhook secret's upper bound, in UTF-8 bytes (4× what were 512 characters); the OpenAPI summary names it. */
export const WEBHOOK_SECRET_MAX_BYTES = 2048;

/**
 * A webhook secret's lower bound, in UTF-8 bytes (HMAC-SHA256 keys with its bytes): 16 bytes, up to 128 bits of
 * key material, so it cannot be guessed. Counted in UTF-16 units (zod's `.min`), as it was, 6 CJK characters (18
 * bytes) were refused as too short while every limit here is bytes of UTF-8 (core/bytes).
 */
export const WEBHOOK_SECRET_MIN_BYTES = 16;
const SECRET_BOUNDS = `at least ${WEBHOOK_SECRET_MIN_BYTES} and at most ${WEBHOOK_SECRET_MAX_BYTES} bytes of UTF-8`;

/** `PUT …/webhook`: the secret signs every delivery (HMAC-SHA256); SECRET_BOUNDS, its refusal and its description. */
export const WebhookBodySchema = z
  .object({
    url: WebhookUrl,
    secret: utf8Text(
      WEBHOOK_SECRET_MAX_BYTES,
      z.string().refine((s) => utf8Bytes(s) >= WEBHOOK_SECRET_MIN_BYTES, { message: SECRET_BOUNDS, abort: true }),
    ).describe(SECRET_BOUNDS),
  })
  .strict();

// ---- answers (each checked against its route's type in worker/openapi-answer-types) ----

const ms = z.number().int().describe("ms epoch");

/** An alert (core/alerts `Alert`): one live alert per kind + subject. */
export const AlertSchema = z.object({
  id: z.string(),
  kind: z.enum([
    "budget_warning",
    "budget_exhausted",
    "job_budget_exceeded",
    "breaker_open",
    "factory_quarantined",
    "factory_degraded",
    "factory_down",
    "stuck",
    "starving",
    "stalled",
    "webhook_failing",
  ]),
  severity: z.enum(["info", "warning", "critical"]),
  subject: z.string().describe("product, factory:<id>, job:<id> or breaker:<factoryId>:<engine>"),
  message: z.string(),
  state: z.enum(ALERT_STATES),
  openedAt: ms,
  updatedAt: ms.describe("the last raise, acknowledgement or resolution"),
  acknowledgedAt: ms.optional(),
  acknowledgedBy: z.string().optional(),
  resolvedAt: ms.optional(),
});

/** `GET …/alerts`: newest first; pass `nextCursor` back as `cursor`. */
export const AlertPageSchema = z.object({ alerts: z.array(AlertSchema), nextCursor: z.string().optional() });

const count = z.number().int();

/** `GET …/health` (coordinator/policies/health-summary `ProductHealthAnswer`). */
export const ProductHealthSchema = z.object({
  status: z.enum(["healthy", "degraded", "stalled"]),
  checkedAt: ms,
  /** `left`: factories stopped on purpose (drained, closed cleanly): counted apart from `down`, no outage. */
  factories: z.object({
    ok: count,
    degraded: count,
    down: count,
    left: count,
    disconnected: count.describe(
      "of ok + degraded (a subset, counted there too: health is heartbeat-based, ~30 s to down), those whose link " +
        "ended — no live socket and not polling over HTTP: no work reaches them (the fleet view's connected: false)",
    ),
  }),
  openAlerts: z.object({ info: count, warning: count, critical: count, total: count }),
  lastFinishedAt: ms.nullable(),
  oldestQueuedAt: ms
    .nullable()
    .describe(
      "when the longest wait of a job waiting now began (a retry's wait begins when its backoff ends; a lost lease or a rate limit does not end a wait); null when none waits now",
    ),
  queued: count.describe("every queued job, those waiting out a retry's backoff included"),
  inBackoff: count.describe(
    "of queued, those waiting out a retry's backoff: waiting work only once it ends, so not counted for stalled",
  ),
  building: count,
  thresholds: z.object({
    stuckAfterMinutes: z.number(),
    starvingAfterMinutes: z.number(),
    expectedFinishIntervalMinutes: z.number(),
  }),
});

/** `PUT` and `GET …/webhook`: never the secret. */
export const WebhookViewSchema = z.object({
  url: z.string(),
  updatedAt: ms,
  updatedBy: z.string(),
  hasSecret: z.literal(true),
});

/** `DELETE …/webhook`. */
export const WebhookDeletedSchema = z.object({ deleted: z.literal(true) });
