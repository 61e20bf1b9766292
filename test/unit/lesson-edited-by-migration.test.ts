// Migration 0010 on a D1 that already holds lessons (SQLite, the migrations applied in wrangler's order): a lesson row
// written under 0000–0009 is kept whole and reads `edited_by` NULL (never reworded, as far as D1 knows), and a row
// written afterwards takes the operator's name — the upgrade of an existing state, next to migrations-schema's fresh one.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { DatabaseSync } from "node:sqlite";
import { describe, expect, it } from "vitest";

const DIR = path.join(import.meta.dirname, "../../migrations");
const FILES = readdirSync(DIR)
  .filter((f) => f.endsWith(".sql"))
  .sort();
const MIGRATION = "0010_lesson_edited_by.sql";

describe("migration 0010 (lessons.edited_by) on an existing D1", () => {
  it("keeps the lessons held before it, with edited_by NULL; later rows carry it", () => {
    expect(FILES).toContain(MIGRATION);
    const db = new DatabaseSync(":memory:");
    const apply = (f: string) => db.exec(readFileSync(path.join(DIR, f), "utf8"));
    for (const f of FILES.filter((f) => f < MIGRATION)) apply(f);
    const insert = `INSERT INTO lessons (id, product_id, source, trigger, subject, text, capabilities, count, created_at,
      updated_at, created_by, archived) VALUES (?, 'p', 'auto', 'retry_exhausted', 'job:j1', ?, '[]', 2, 1, 2, 'system', 0)`;
    db.prepare(insert).run("les_old", "held before the migration");
    for (const f of FILES.filter((f) => f >= MIGRATION)) apply(f);
    expect(db.prepare("SELECT id, text, count, seq, edited_by FROM lessons").all()).toEqual([
      { id: "les_old", text: "held before the migration", count: 2, seq: 0, edited_by: null },
    ]);
    db.prepare("UPDATE lessons SET text = ?, edited_by = ? WHERE id = ?").run("reworded", "operator:erin", "les_old");
    expect(db.prepare("SELECT edited_by FROM lessons").get()).toEqual({ edited_by: "operator:erin" });
    db.close();
  });
});
