/**
 * @module worker/routes/system
 * Unauthenticated system endpoints: health and the OpenAPI document.
 */
import { Hono } from "hono";
import type { AppEnv } from "../auth.ts";
import { openApiJson } from "../openapi.ts";
import { noQuery } from "../validate.ts";

export const system = new Hono<AppEnv>();

system.get("/health", async (c) => {
  noQuery(c);
  let d1 = "ok";
  try {
    await c.env.DB.prepare("SELECT 1").first();
  } catch {
    d1 = "unreachable";
  }
  return c.json({ status: d1 === "ok" ? "healthy" : "degraded", d1, at: new Date().toISOString() });
});

// Built once per isolate (worker/openapi `openApiJson`): the same text every time, for a fraction of the CPU.
system.get("/openapi.json", (c) => {
  noQuery(c);
  return c.body(openApiJson(), 200, { "content-type": "application/json" });
});
