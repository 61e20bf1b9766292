/**
 * @module shared/api-alerts
 * Request shapes of the alerts, health and webhook API (issue 9, parts 5–6), shared by the Worker (validation),
 * the OpenAPI document, the CLI and tests.
 */
import { z } from "zod";
import { ALERT_STATES } from "../core/alerts.ts";
import { utf8Text } from "../core/bytes.ts";
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

export const WebhookUrl = z
  .string()
  .max(2048)
  .url()
  .refine((raw) => {
    const u = parsed(raw);
    return u !== undefined && (u.protocol === "https:" || (u.protocol === "http:" && LOOPBACK_HOSTS.has(u.hostname)));
  }, "an https URL (plain http only for 127.0.0.1, localhost or [::1])")
  .refine((raw) => {
    const u = parsed(raw);
    return u !== undefined && u.username === "" && u.password === "";
  }, "no credentials in the URL: the signature authenticates deliveries");

/** `PUT …/webhook`: the secret signs every delivery (HMAC-SHA256); 16+ characters so it cannot be guessed. */
export const WebhookBodySchema = z
  .object({
    url: WebhookUrl,
    secret: utf8Text(2048, z.string().min(16, "at least 16 characters")), // 4× what were 512 characters
  })
  .strict();
