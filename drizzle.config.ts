// drizzle-kit reads the D1 schema and writes SQL migrations where wrangler looks for them.
import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "sqlite",
  schema: "./src/history/schema.ts",
  out: "./migrations",
});
