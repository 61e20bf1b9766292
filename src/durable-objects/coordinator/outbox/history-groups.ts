/**
 * @module durable-objects/coordinator/outbox/history-groups
 * The history records one unit writes (a job's snapshot, its run, an audit entry, a lesson) leave as ONE outbox
 * row of kind `history` — a JSON array of `{kind, body}` in write order — instead of a row each (issue 12: at a
 * job's four to five units, every outbox row was an insert, an index entry, a delete and a parse; history rows
 * were half of them).
 *
 * Records are gathered in memory while a unit runs and written just before it commits, inside its transaction
 * (runtime/units opens and closes a group around every transaction and savepoint), so they are exactly as atomic
 * as the rows were:
 * - a unit that throws discards them with its rollback;
 * - a nested part that throws (a savepoint: one refused frame of a batch) drops only what it added;
 * - a record written while no unit is open — nothing does that today — is written at once, alone, as before.
 * A unit's only record is written as a plain row of its own kind: nothing changes for it.
 *
 * A group stays under GROUP_BYTES, so any group fits one history queue message (outbox/round-plan MESSAGE_BYTES):
 * a unit that writes more (a bulk submit) writes several groups.
 */
import { execute } from "../../sql-statements.ts";
import { notePending } from "./pending.ts";
import type { HistoryEntry } from "./records.ts";

/** Most UTF-8 bytes of record JSON one group holds (each record alone is ≤ 48 KiB: core/record-bounds). */
export const GROUP_BYTES = 64 * 1024;

type HistoryKind = HistoryEntry["kind"];

/** A gathered record: its kind, its JSON text (already bounded), and when its unit wrote it (ms). */
interface Gathered {
  kind: HistoryKind;
  text: string;
  at: number;
}

interface Open {
  records: Gathered[];
  /** Per open unit or nested part, outermost first: how many records were gathered when it began. */
  marks: number[];
}

const open = new WeakMap<SqlStorage, Open>();

/** A unit, or a nested part of one (a savepoint), begins on `sql`: its history records gather until `closeGroup`. */
export function openGroup(sql: SqlStorage): void {
  const o = open.get(sql);
  if (o) o.marks.push(o.records.length);
  else open.set(sql, { records: [], marks: [0] });
}

/**
 * The unit or part opened last ends, still inside its transaction. If it threw (`commit` false), its records go
 * with its rollback and the ones before it stay; the outermost unit, ending without a throw, writes them all.
 */
export function closeGroup(sql: SqlStorage, commit: boolean): void {
  const o = open.get(sql);
  if (!o) return;
  const mark = o.marks.pop() ?? 0;
  if (!commit) o.records.length = mark;
  if (o.marks.length > 0) return;
  open.delete(sql);
  if (commit) writeGroups(sql, o.records);
}

/**
 * Write one history record (its JSON text, already bounded; `at` its write time, ms): into the open unit's group
 * if there is one, else as a row of its own. Returns whether it was gathered (the caller then writes nothing).
 */
export function gather(sql: SqlStorage, kind: HistoryKind, text: string, at: number): boolean {
  const o = open.get(sql);
  if (!o) return false;
  o.records.push({ kind, text, at });
  notePending(sql); // written before the commit that makes it visible: the outbox is not empty after this unit
  return true;
}

/** A group's row is stamped with its oldest record's write time: the history hold (core/history-hold) counts from it. */
function writeGroups(sql: SqlStorage, records: readonly Gathered[]): void {
  let i = 0;
  while (i < records.length) {
    let bytes = 0;
    let at = records[i]!.at;
    let j = i;
    // A group takes records while they fit, the first always (alone, each is ≤ 48 KiB). A text's length × 3
    // bounds its UTF-8 bytes from above, without walking it.
    while (j < records.length && (j === i || bytes + records[j]!.text.length * 3 <= GROUP_BYTES)) {
      bytes += records[j]!.text.length * 3;
      at = Math.min(at, records[j]!.at);
      j++;
    }
    if (j - i === 1) {
      const r = records[i]!;
      execute(sql, "INSERT INTO outbox(kind, body, job_id, at) VALUES (?, ?, NULL, ?)", r.kind, r.text, at);
    } else {
      const parts = records.slice(i, j).map((r) => `{"kind":"${r.kind}","body":${r.text}}`);
      execute(
        sql,
        "INSERT INTO outbox(kind, body, job_id, at) VALUES ('history', ?, NULL, ?)",
        `[${parts.join(",")}]`,
        at,
      );
    }
    i = j;
  }
}
