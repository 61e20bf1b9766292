/**
 * @module worker/routes/metrics
 * `GET …/metrics` (viewer and above): the product's metrics (coordinator/policies/metrics) as JSON, or as Prometheus
 * text exposition 0.0.4 with `?format=prometheus` or an `Accept` that prefers `text/plain` (what a Prometheus scraper
 * sends). `?format=` wins over Accept; any other `format` is a 400. `GET …/stats` (viewer): counts by stage from the
 * stage index and the queue version — no job documents, cheap enough for a script to poll.
 */
import { Hono } from "hono";
import { fitsUtf8 } from "../../core/bytes.ts";
import { unwrap } from "../../core/errors.ts";
import { MetricsQuery } from "../../shared/api-metrics.ts";
import { type AppEnv, requireRole } from "../auth.ts";
import { PROMETHEUS_CONTENT_TYPE, renderPrometheus } from "../prometheus.ts";
import { noQuery, query } from "../validate.ts";

export const metrics = new Hono<AppEnv>();

/**
 * 4 KiB of UTF-8: Prometheus's own Accept is ~150 bytes. Past it the header is disregarded (JSON, as with none: RFC
 * 9110 §12.5.1 lets a server do so) rather than split and sorted at whatever size the runtime let through — bounded
 * as every header the Worker reads is (core/bytes).
 */
export const ACCEPT_MAX_BYTES = 4096;

/**
 * Whether an Accept header asks for the text format: its most preferred media range (highest q, first on a tie)
 * is `text/plain` or `application/openmetrics-text` (we answer 0.0.4 text for both). No header, `*\/*`, JSON or a
 * header over ACCEPT_MAX_BYTES → false.
 */
export function prefersPrometheus(accept: string | undefined): boolean {
  if (!accept || !fitsUtf8(accept, ACCEPT_MAX_BYTES)) return false;
  const ranges = accept.split(",").map((part, i) => {
    const [type = "", ...params] = part.split(";").map((p) => p.trim().toLowerCase());
    const q = params.find((p) => p.startsWith("q="));
    const weight = q ? Number(q.slice(2)) : 1;
    return { type, q: Number.isFinite(weight) ? weight : 0, i };
  });
  const best = ranges.filter((r) => r.q > 0).sort((a, b) => b.q - a.q || a.i - b.i)[0];
  return best?.type === "text/plain" || best?.type === "application/openmetrics-text";
}

metrics.get("/metrics", async (c) => {
  requireRole(c, "viewer");
  const { format } = query(c, MetricsQuery);
  const snapshot = await unwrap(c.get("coordinator").metrics(c.get("productId")));
  const prometheus = format ? format === "prometheus" : prefersPrometheus(c.req.header("accept"));
  // Chosen by Accept, the answer must say so: a cache in front would otherwise serve one format for the other.
  const vary: Record<string, string> = format ? {} : { vary: "Accept" };
  if (!prometheus) return c.json(snapshot, 200, vary);
  return c.body(await renderPrometheus(snapshot), 200, { "content-type": PROMETHEUS_CONTENT_TYPE, ...vary });
});

metrics.get("/stats", async (c) => {
  requireRole(c, "viewer");
  noQuery(c);
  return c.json(await unwrap(c.get("coordinator").stats(c.get("productId"))));
});
