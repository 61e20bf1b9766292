/**
 * @module cli/capability-cell
 * The `factories` table's CAPABILITIES cell. Cut at its width from the end, it hid the capability that told hosts
 * apart: a demo host's `os:linux,arch:x64,node:22,engine:sample,has:git,has:docker,tpu` lost `tpu`, the one a job
 * required. A list that fits is shown as it came; one that does not shows the rare ones first — an operator's own
 * (`--cap tpu`), then engines — and drops the ones the agent detects on every host (`os:`, `arch:`, `node:`, `has:`)
 * first, saying how many it left out (`+3`). `--json` has the whole list.
 */
import { NONE, width } from "./table.ts";

/** The cell's widest, in terminal columns. */
export const CAPABILITIES_MAX = 48;

/**
 * Columns kept for the pending part when the list does not fit (` (pending: cuda)`): the routed capabilities are fit
 * beside at most this much of it, and the table cuts the rest of a longer one. A long pending list took the whole
 * cell, and every routed capability, the ones jobs are placed by, became `+3`.
 */
const PENDING_ROOM = 16;

/** Prefixes the agent detects on every host (README: os:*, arch:*, node:*, has:*): the first left out. */
const COMMON = ["os:", "arch:", "node:", "has:"];

/** 0 an operator's own, 1 an engine, 2 what every host has. */
const rarity = (c: string): number => (COMMON.some((p) => c.startsWith(p)) ? 2 : c.startsWith("engine:") ? 1 : 0);

/**
 * `caps` (routed) and `pending` (declared, awaiting approval, said after as ` (pending: …)`) in at most `max` terminal
 * columns where the routed ones can be: rare ones first and `+N` for the N left out when all do not fit, beside at
 * most PENDING_ROOM columns of the pending part. The pending part is not shortened here (the table cuts what is left
 * over).
 */
export function capabilityCell(
  caps: readonly string[] | undefined,
  pending: readonly string[] | undefined,
  max: number,
): string {
  const tail = pending?.length ? ` (pending: ${pending.join(",")})` : "";
  if (!caps?.length) return `${NONE}${tail}`;
  const whole = caps.join(",");
  if (width(whole + tail) <= max) return whole + tail;
  // A stable sort: within a kind the order the agent gave.
  const sorted = caps.map((c, i) => ({ c, i })).sort((a, b) => rarity(a.c) - rarity(b.c) || a.i - b.i);
  const room = max - Math.min(width(tail), PENDING_ROOM);
  const shown: string[] = [];
  // One that does not fit is passed over, not the end: a long operator capability (up to 64 characters) left the
  // cell a bare `+9`, every shorter one behind it hidden too.
  for (const [k, { c }] of sorted.entries()) {
    const left = sorted.length - k - 1 + (k - shown.length); // those after it, and those passed over
    const text = [...shown, c, ...(left > 0 ? [`+${left}`] : [])].join(",");
    if (width(text) <= room) shown.push(c);
  }
  const left = sorted.length - shown.length; // none when all fit beside the start of a long pending part
  return [...shown, ...(left > 0 ? [`+${left}`] : [])].join(",") + tail;
}
