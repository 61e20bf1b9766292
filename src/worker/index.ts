/**
 * @module worker/index
 * The Worker entry: HTTP through the Hono app, queue consumers, the cron
 * reaper, and the Durable Object classes wrangler binds by name.
 */
import { buildApp } from "./app.ts";
import { handleQueue } from "./queues/consumers.ts";
import { sweepAll } from "./reaper.ts";

export { JobFeed } from "../durable-objects/job-feed.ts";
export { ProductCoordinator } from "../durable-objects/product-coordinator.ts";

const app = buildApp();

export default {
  fetch: app.fetch,
  queue: handleQueue,
  async scheduled(_controller, env, ctx) {
    ctx.waitUntil(sweepAll(env));
  },
} satisfies ExportedHandler<Env>;
