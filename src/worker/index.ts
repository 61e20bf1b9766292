/**
 * @module worker/index
 * The Worker entry: HTTP through the Hono app, queue consumers, the cron
 * reaper, and the Durable Object classes wrangler binds by name.
 */
import { buildApp } from "./app.ts";
import { handleQueue } from "./queues/consumers.ts";
import { cronSweep } from "./reaper.ts";

export { JobFeed } from "../durable-objects/job-feed.ts";
export { ProductCoordinator } from "../durable-objects/product-coordinator.ts";

const app = buildApp();

export default {
  fetch: app.fetch,
  queue: handleQueue,
  async scheduled(controller, env, ctx) {
    // Handed to waitUntil, whose rejection the runtime records as the invocation's status: a sweep that could not
    // reach some product is a failed cron run, not a success (worker/reaper `cronSweep`).
    ctx.waitUntil(cronSweep(env, controller.scheduledTime));
  },
} satisfies ExportedHandler<Env>;
