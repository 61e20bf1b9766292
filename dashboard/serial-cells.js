/**
 * @module dashboard/serial-cells
 * What the board shows of serial gates outside the panel's own rows (serial.js): the frozen keys as last read, the
 * "frozen" badge a job held back by a freeze wears on the jobs table, and a gate's holder and next cells.
 */
import { jobPath } from "./api.js";
import { h, when } from "./dom.js";

/** Frozen serial keys as last read from the API: the board marks jobs holding one. */
export const frozenKeys = new Set();

/**
 * Whether a freeze of one of `frozen` holds `job` back: only a job still waiting to run — `queued`, or `blocked` on
 * its dependencies (it queues, and is held, once they ship). A job running, in review or testing, or ended is past
 * dispatch, and a composite parent waiting on its children is never dispatched itself: a freeze holds none of them.
 * @param {{ stage: string, serialKey?: string, waitingReason?: { code: string } | null }} job
 * @param {ReadonlySet<string>} frozen the frozen serial keys
 */
export function heldByFreeze(job, frozen) {
  if (!job.serialKey || !frozen.has(job.serialKey)) return false;
  if (job.stage === "queued") return true;
  return job.stage === "blocked" && job.waitingReason?.code !== "children_running";
}

/** The "frozen" badge for a job a freeze holds back (`heldByFreeze`), else null. @param {any} job a job summary */
export function frozenBadge(job) {
  if (!heldByFreeze(job, frozenKeys)) return null;
  const title = `serial key ${job.serialKey} is frozen: not dispatched until unfrozen`;
  return h("span", null, " ", h("span", { class: "badge status-quarantined frozen", title }, "frozen"));
}

/**
 * The running holder, or the run still stopping after its lease ended, taken or lapsed (`stopping`: absent from older
 * coordinators) — it holds the key until its factory says it stopped, at the latest until `until`.
 * @param {any} g a SerialGate (src/core/serial-gates.ts)
 * @param {(id: string) => string} [name] a factory by id as the page names it (live.js factoryName): the title read
 *   its id (pass 43's alerts fix, same kind)
 */
export function holderCell(g, name = (id) => id) {
  if (g.holder) return h("a", { href: `#${jobPath(g.holder)}` }, g.holder);
  const s = g.stopping;
  if (!s) return "—";
  const title = `its lease ended; held until ${name(s.factoryId)} says it stopped, at the latest ${when(s.until)}`;
  return h("span", { title }, h("a", { href: `#${jobPath(s.jobId)}` }, s.jobId), " (stopping)");
}

/**
 * What runs next: dispatch's choice (`next`: due now, not waiting out a retry backoff), or when the first backoff
 * ends — never the queue's head merely. Older coordinators send no `next`: their queue's head.
 * @param {any} g a SerialGate (src/core/serial-gates.ts)
 */
export function nextCell(g) {
  const id = g.next === undefined ? g.queue[0] : g.next;
  if (id) return h("a", { href: `#${jobPath(id)}` }, id);
  return g.nextDueAt ? h("span", { class: "muted" }, `none due (next at ${when(g.nextDueAt)})`) : "—";
}
