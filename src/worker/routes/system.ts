/**
 * @module worker/routes/system
 * Unauthenticated system endpoints: health and the OpenAPI document.
 */
import { Hono } from "hono";
import type { AppEnv } from "../auth.ts";
import { openApiDocument } from "../openapi.ts";

export const system = new Hono<AppEnv>();

system.get("/health", async (c) => {
  let d1 = "ok";
  try {
    await c.env.DB.prepare("SELECT 1").first();
  } catch {
    d1 = "unreachable";
  }
  return c.json({ status: d1 === "ok" ? "healthy" : "degraded", d1, at: new Date().toISOString() });
});

system.get("/openapi.json", (c) => c.json(openApiDocument()));
