// The D1 migrations, applied in order to an empty SQLite database, build exactly the schema the code queries
// (history/schema, through drizzle): every table, column (type, NOT NULL, primary key, default) and index, and
// nothing else. A column added to the schema without its migration, or an index a migration made and the schema does
// not name, fails here rather than in a deployed D1. Also: drizzle's journal lists every migration file in the order
// wrangler applies them (by name), so the next `npm run db:generate` diffs against the state D1 really has.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { DatabaseSync } from "node:sqlite";
import { is } from "drizzle-orm";
import { getTableConfig, SQLiteTable } from "drizzle-orm/sqlite-core";
import { describe, expect, it } from "vitest";
import * as schema from "../../src/history/schema.ts";

const DIR = path.join(import.meta.dirname, "../../migrations");
const FILES = readdirSync(DIR)
  .filter((f) => f.endsWith(".sql"))
  .sort();

/** A fresh database with every migration applied, in wrangler's order (file name). */
function migrated(): DatabaseSync {
  const db = new DatabaseSync(":memory:");
  for (const f of FILES) db.exec(readFileSync(path.join(DIR, f), "utf8"));
  return db;
}

type Column = { name: string; type: string; notnull: number; pk: number; dflt_value: string | null };
type Shape = { columns: string[]; indexes: string[] };

/** A table's shape as SQLite holds it: one line per column and per index made by CREATE INDEX. */
function actual(db: DatabaseSync, table: string): Shape {
  const columns = (db.prepare(`PRAGMA table_info("${table}")`).all() as Column[]).map(
    (c) => `${c.name} ${c.type.toLowerCase()}${c.notnull ? " not null" : ""}${c.pk ? " pk" : ""} = ${c.dflt_value}`,
  );
  const indexes = (
    db.prepare(`PRAGMA index_list("${table}")`).all() as { name: string; unique: number; origin: string }[]
  )
    .filter((i) => i.origin === "c")
    .map((i) => {
      const cols = (db.prepare(`PRAGMA index_info("${i.name}")`).all() as { name: string }[]).map((c) => c.name);
      return `${i.unique ? "unique " : ""}${i.name} (${cols.join(", ")})`;
    });
  return { columns: columns.sort(), indexes: indexes.sort() };
}

/** The same table's shape as drizzle declares it (what every query the code builds assumes). */
function declared(table: SQLiteTable): Shape {
  const c = getTableConfig(table);
  const columns = c.columns.map((col) => {
    // Defaults in the schema are numbers (0); SQLite reports the default's SQL text.
    const dflt = col.default === undefined ? null : String(col.default);
    return `${col.name} ${col.getSQLType().toLowerCase()}${col.notNull ? " not null" : ""}${col.primary ? " pk" : ""} = ${dflt}`;
  });
  const indexes = c.indexes.map(
    (i) =>
      `${i.config.unique ? "unique " : ""}${i.config.name} (${i.config.columns.map((x) => (x as { name: string }).name).join(", ")})`,
  );
  return { columns: columns.sort(), indexes: indexes.sort() };
}

const TABLES: SQLiteTable[] = Object.values(schema).filter((t) => is(t, SQLiteTable));

describe("D1 migrations against the drizzle schema", () => {
  it("declares the tables the migrations make, and no others", () => {
    const made = (
      migrated().prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all() as {
        name: string;
      }[]
    ).map((t) => t.name);
    expect(made.sort()).toEqual(TABLES.map((t) => getTableConfig(t).name).sort());
  });

  it.each(
    TABLES.map((t) => [getTableConfig(t).name, t] as const),
  )("builds %s column by column, index by index", (name, table) => {
    expect(actual(migrated(), name)).toEqual(declared(table));
  });

  it("has drizzle's journal list every migration file, in the order wrangler applies them", () => {
    const journal = JSON.parse(readFileSync(path.join(DIR, "meta/_journal.json"), "utf8")) as {
      entries: { idx: number; tag: string }[];
    };
    expect(journal.entries.map((e) => `${e.tag}.sql`)).toEqual(FILES);
    expect(journal.entries.map((e) => e.idx)).toEqual(FILES.map((_, i) => i));
  });
});
