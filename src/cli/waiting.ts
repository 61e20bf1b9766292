/**
 * @module cli/waiting
 * A job's waiting reason (core/waiting) in the terminal: one cell for the `jobs` table (`code: message`, cut by the
 * table to the terminal's width) and the "Waiting:" block of `gigafactory job ID` with its detail — which
 * capabilities are missing, which deps, which job holds the serial key, until when, who approved — and, where the
 * message names none, the command that ends the wait (the reason's `fix`, core/waiting-fix).
 */
import { deadLetterFix, waitingFix } from "../core/waiting-fix.ts";
import type { WaitingReason } from "../core/waiting-reason.ts";
import { formatAge, formatInstant, isInstantKey, NONE, oneLine } from "./table.ts";

/**
 * The command that ends the wait: the answer's `fix` (core/waiting-fix, added by the coordinator: what the dashboard
 * shows too); for an answer without one (a coordinator from before it), the same rule read here.
 */
export const fixOf = (reason: WaitingReason, jobId?: string): string | undefined =>
  typeof reason.fix === "string" && reason.fix !== "" ? reason.fix : waitingFix(reason, jobId);

/**
 * A fix as long as this (characters) is said whole in the `jobs` cell (about two of its wrapped lines); a longer one
 * — most of `no_capable_factory`'s — is pointed to: `gigafactory job ID` says it.
 */
const CELL_FIX = 100;

/**
 * The `jobs` table's WAITING cell: `code: message`, then the fix `job ID` and `watch` give (`fixOf`) — whole
 * when short, else where to read it: the cell hid that a fix existed. A dead-lettered job (no reason) says its
 * requeue; "—" for a running or finished job.
 */
export function waitingCell(reason: WaitingReason | null | undefined, job?: { id: string; stage: string }): string {
  if (!reason)
    return job?.stage === "dead_letter" ? `dead_letter: attempts used up — fix: ${deadLetterFix(job.id)}` : NONE;
  const fix = fixOf(reason, job?.id);
  const said = `${reason.code}: ${reason.message}`;
  if (fix === undefined) return said;
  return fix.length <= CELL_FIX || !job
    ? `${said} — fix: ${fix}`
    : `${said} — fix: \`gigafactory job ${job.id}\` says it`;
}

/**
 * Levels of a detail value shown; deeper ones are "…". The coordinator's deepest detail is a list of records holding
 * instants (two levels); a detail from elsewhere nested some thousands deep overflowed the stack here, and `job ID`
 * failed as `✘ ERROR internal … this is a CLI bug`.
 */
const MAX_DEPTH = 8;

/** A detail value in one line: instants as UTC, lists of records by their id/name/stage, anything else as JSON. */
function valueText(key: string, v: unknown, depth = 0): string {
  if (typeof v === "number" && isInstantKey(key)) return formatInstant(v);
  if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") return String(v);
  if (v === null || v === undefined) return NONE;
  if (depth >= MAX_DEPTH) return "…";
  if (Array.isArray(v)) {
    if (v.length === 0) return NONE;
    return v
      .map((x) =>
        typeof x === "object" && x !== null ? recordText(x as Record<string, unknown>, depth + 1) : String(x),
      )
      .join(", ");
  }
  return recordText(v as Record<string, unknown>, depth + 1);
}

/**
 * `{id, name, stage, …}` as "name (stage …)": what an operator recognises first, then the rest. A record with no
 * name of its own (a job's `lastResult`) is led by its outcome, and one with neither is just its fields — never "?".
 */
function recordText(r: Record<string, unknown>, depth: number): string {
  const labelKey = ["name", "id", "reviewer", "outcome"].find((k) => r[k] !== undefined && r[k] !== null);
  // The id is noise beside a name (a factory's name is what the operator typed); it is the label when alone.
  const hidden = new Set(labelKey ? [labelKey, ...(labelKey === "name" ? ["id", "reviewer"] : [])] : []);
  const rest = Object.entries(r)
    .filter(([k, v]) => !hidden.has(k) && v !== undefined)
    .map(([k, v]) => `${k} ${valueText(k, v, depth)}`);
  if (!labelKey) return rest.join(", ") || NONE;
  // Through valueText, not String(): a label that is a record read "[object Object]", and a deep list overflowed.
  const label = valueText(labelKey, r[labelKey], depth);
  return rest.length ? `${label} (${rest.join(", ")})` : label;
}

/**
 * The "Waiting:" block of `gigafactory job ID` (and `explain ID`), or "" for a job that runs or has ended.
 * `omit` names detail keys the surrounding page already shows (`job ID` has its own "last result" line); `jobId`
 * names the job in a fix that needs it (a review's).
 */
export function waitingLines(
  reason: WaitingReason | null | undefined,
  now: number,
  omit: readonly string[] = [],
  jobId?: string,
): string {
  if (!reason) return "";
  const lines = [
    // One line each (table `oneLine`): the code, message and details (keys too) are the coordinator's answer and
    // quote text from elsewhere (a result's message); a newline in any of them printed a forged line of its own.
    // The message says the wait in words; its code follows in brackets, for a script or a search (`--json` has it):
    // `explain ID` led with `no_capable_factory`, a code where a newcomer looked for words.
    `Waiting: ${oneLine(reason.message)}  [${oneLine(reason.code)}]`,
    `  since ${formatInstant(reason.since)} (${formatAge(reason.since, now)} ago)`,
  ];
  for (const [k, v] of Object.entries(reason.detail)) {
    if (!omit.includes(k)) lines.push(`  ${oneLine(k)}: ${oneLine(valueText(k, v))}`);
  }
  // The command that ends the wait, where the message names none (`fixOf`).
  const fix = fixOf(reason, jobId);
  if (fix !== undefined) lines.push(`  fix: ${oneLine(fix)}`);
  return lines.join("\n");
}
