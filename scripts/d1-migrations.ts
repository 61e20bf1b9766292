/**
 * @module scripts/d1-migrations
 * D1 migrations applied to a local state directory in-process, as `wrangler d1 migrations apply DB --local
 * --persist-to DIR` applies them, without that wrangler run: a D1-only Miniflare on the same storage, each pending
 * file of `migrations_dir` run as one batch with its row in the migrations table, then disposed.
 *
 * Why not the wrangler run: it cost 8 s of a fresh `npm start` or `npm run dev` (6.4 s of CPU: the CLI loading, a
 * workerd of its own, each file through its own query) and 3 s on a state with nothing to apply; this costs ~1 s
 * (measured on the 2-core CI machine: workerd up in 0.45 s, nine files in 0.5 s). What it writes is what wrangler
 * writes: the same table (`d1_migrations` unless `migrations_table` says otherwise) with the same columns, so `wrangler
 * d1 migrations list DB --local --persist-to DIR` afterwards says "No migrations to apply" (test/e2e/local-migrations).
 * Statements are split by wrangler's own splitter (`unstable_splitSqlQuery`: comments, triggers' BEGIN … END), the
 * one `@cloudflare/vitest-pool-workers` uses for the integration tests' schema.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { convertV4MiniflareOptions, Log, LogLevel, Miniflare } from "miniflare";
import { unstable_readConfig, unstable_splitSqlQuery } from "wrangler";
import { useFastSqliteTmpdir } from "./sqlite-tmpdir.ts";
import { ROOT, stoppedStarting } from "./wrangler-runs.ts";

/** The `DB` binding's database as wrangler.toml declares it: its id, where its migrations are, their table. */
function d1Config(): { id: string; dir: string; table: string } {
  const config = unstable_readConfig({ config: path.join(ROOT, "wrangler.toml") }, { hideWarnings: true });
  const db = config.d1_databases.find((d: { binding: string }) => d.binding === "DB");
  if (!db?.database_id) throw new Error("wrangler.toml declares no D1 database bound as DB (with a database_id)");
  return {
    id: db.database_id,
    dir: path.resolve(ROOT, db.migrations_dir ?? "migrations"),
    table: db.migrations_table ?? "d1_migrations",
  };
}

/** SQL identifier quoting, as wrangler quotes the migrations table's name. */
const quoted = (id: string) => `"${id.replace(/"/g, '""')}"`;

/**
 * Applies every migration file not yet recorded to the local D1 state under `persistTo` (the directory wrangler's
 * `--persist-to` takes; the data lives in `persistTo/v3`). Files run in name order, each atomically with its record.
 * Returns the names applied (`[]` when the state was up to date). Rejects with the failing file's name and D1's
 * error, or with "stopped while starting" when `signal` aborts (the Miniflare it started is disposed first).
 */
export async function applyMigrations(persistTo: string, signal?: AbortSignal): Promise<string[]> {
  if (signal?.aborted) throw stoppedStarting();
  const { id, dir, table } = d1Config();
  useFastSqliteTmpdir();
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      modules: true,
      script: "export default { fetch() { return new Response(null, { status: 404 }); } };",
      d1Databases: { DB: id },
      // The `request.cf` placeholder is fetched from the network otherwise: nothing here reads it.
      cf: false,
      resourcePersistencePath: path.join(path.resolve(persistTo), "v3"),
      log: new Log(LogLevel.WARN),
    }),
  );
  const disposed = () => mf.dispose().catch(() => undefined);
  const onAbort = () => void disposed();
  signal?.addEventListener("abort", onAbort, { once: true });
  try {
    const db = await mf.getD1Database("DB");
    await db
      .prepare(
        `CREATE TABLE IF NOT EXISTS ${quoted(table)}(
		id         INTEGER PRIMARY KEY AUTOINCREMENT,
		name       TEXT UNIQUE,
		applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL
);`,
      )
      .run();
    const done = new Set(
      (await db.prepare(`SELECT name FROM ${quoted(table)}`).all<{ name: string }>()).results.map((r) => r.name),
    );
    const pending = readdirSync(dir)
      .filter((f) => f.endsWith(".sql") && !done.has(f))
      .sort();
    for (const name of pending) {
      const statements = unstable_splitSqlQuery(readFileSync(path.join(dir, name), "utf8")).map((q) => db.prepare(q));
      statements.push(db.prepare(`INSERT INTO ${quoted(table)} (name) VALUES (?)`).bind(name));
      try {
        await db.batch(statements);
      } catch (err) {
        throw new Error(`migration ${name} failed: ${(err as Error).message}`);
      }
    }
    return pending;
  } catch (err) {
    if (signal?.aborted) throw stoppedStarting();
    throw err;
  } finally {
    signal?.removeEventListener("abort", onAbort);
    await disposed();
  }
}
