// Integration tests inside workerd: real Durable Object SQLite, D1, alarms.
import path from "node:path";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";
import { useFastSqliteTmpdir } from "./scripts/sqlite-tmpdir.ts";

// The pool's workerd inherits this process's environment: its SQLite sub-journals on tmpfs, as the local runtime's.
useFastSqliteTmpdir();

export default defineConfig(async () => {
  const migrations = await readD1Migrations(path.join(import.meta.dirname, "migrations"));
  return {
    plugins: [
      cloudflareTest({
        wrangler: { configPath: "./wrangler.toml" },
        miniflare: {
          bindings: { TEST_MIGRATIONS: migrations, GIGAFACTORY_ADMIN_TOKEN: "test-admin-token" },
        },
      }),
    ],
    test: {
      include: ["test/integration/**/*.test.ts"],
      setupFiles: ["test/integration/apply-migrations.ts"],
    },
  };
});
