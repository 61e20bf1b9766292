/**
 * Bindings of the Worker and its Durable Objects (see wrangler.toml). Written by
 * hand rather than generated so the contract is reviewed like code.
 */
declare namespace Cloudflare {
  interface Env {
    COORDINATOR: DurableObjectNamespace<import("./durable-objects/product-coordinator.ts").ProductCoordinator>;
    JOB_FEED: DurableObjectNamespace<import("./durable-objects/job-feed.ts").JobFeed>;
    DB: D1Database;
    ARTIFACTS: R2Bucket;
    ASSETS: Fetcher;
    DISPATCH_QUEUE: Queue<import("./worker/queues/messages.ts").DispatchMessage>;
    HISTORY_QUEUE: Queue<import("./history/write.ts").HistoryMessage>;
    WEBHOOK_QUEUE: Queue<import("./worker/queues/webhooks.ts").WebhookQueueMessage>;
    GIGAFACTORY_ENV: string;
    /** Browser origins allowed to call the API (CORS), comma-separated; empty = same origin only. */
    DASHBOARD_ORIGINS?: string;
    /** Seconds between a job feed's SSE keep-alives, 1–30 (default 15): feed/keepalive-setting. */
    FEED_KEEPALIVE_SECONDS?: string | number;
    /** Secret: the admin bearer token (`wrangler secret put`, or `.dev.vars` locally). */
    GIGAFACTORY_ADMIN_TOKEN?: string;
  }
}
interface Env extends Cloudflare.Env {}
