/**
 * @module worker/app
 * The HTTP surface: Hono routers mounted per resource under `/api/v1`. The
 * Worker authenticates, validates and formats; every stateful decision is an
 * RPC to the product's coordinator (or a job's feed). Every response carries
 * the browser policy (security headers; CORS for the configured dashboard
 * origins, see worker/browser-policy).
 */
import { Hono } from "hono";
import { type AppEnv, productAuth } from "./auth.ts";
import { cors, securityHeaders } from "./browser-policy.ts";
import { headerLimits } from "./header-limits.ts";
import { unrouted } from "./method-not-allowed.ts";
import { onError } from "./problem.ts";
import { alerts } from "./routes/alerts.ts";
import { artifacts } from "./routes/artifacts.ts";
import { breakers } from "./routes/breakers.ts";
import { budget } from "./routes/budget.ts";
import { bulk } from "./routes/bulk.ts";
import { dag } from "./routes/dag.ts";
import { deadLetterRedrive } from "./routes/dead-letter-redrive.ts";
import { deadLetterShow } from "./routes/dead-letter-show.ts";
import { deadLetterRoutes } from "./routes/dead-letters.ts";
import { events, feeds } from "./routes/events.ts";
import { experiments } from "./routes/experiments.ts";
import { factories } from "./routes/factories.ts";
import { history } from "./routes/history.ts";
import { jobs } from "./routes/jobs.ts";
import { lessons } from "./routes/lessons.ts";
import { metrics } from "./routes/metrics.ts";
import { products } from "./routes/products.ts";
import { queueState } from "./routes/queue-state.ts";
import { reviews } from "./routes/reviews.ts";
import { routing } from "./routes/routing.ts";
import { serial } from "./routes/serial.ts";
import { settings } from "./routes/settings.ts";
import { system } from "./routes/system.ts";
import { tokens } from "./routes/tokens.ts";
import { whoami } from "./routes/whoami.ts";
import { work } from "./routes/work.ts";
import { drainUnreadBody } from "./validate.ts";

export function buildApp(): Hono<AppEnv> {
  const product = new Hono<AppEnv>();
  product.use("*", productAuth);
  // `bulk` first: its `/jobs:batch` must win over `/jobs/:jobId`-shaped routes.
  for (const r of [bulk, jobs, work, events, artifacts, factories, tokens, queueState, history, deadLetterRoutes])
    product.route("/", r);
  for (const r of [settings, serial, reviews, budget, breakers, metrics, lessons, alerts, routing, experiments])
    product.route("/", r);
  product.route("/", deadLetterRedrive);
  product.route("/", deadLetterShow);
  product.route("/", dag); // composite jobs: …/jobs/{id}/children and …/jobs/{id}/tree
  product.route("/", whoami); // who the token is: the dashboard offers what its role may do

  const app = new Hono<AppEnv>();
  app.use("*", securityHeaders);
  app.use("*", headerLimits); // before anything reads a header it bounds (CORS reads Origin)
  app.use("*", cors);
  app.use("*", drainUnreadBody);
  app.route("/api/v1", system);
  app.route("/api/v1", products);
  // Feed sockets/streams authenticate by header or ticket, so they come before the header-only middleware.
  app.route("/api/v1/products/:productId", feeds);
  app.route("/api/v1/products/:productId", product);
  app.notFound(unrouted(app));
  app.onError(onError);
  return app;
}
