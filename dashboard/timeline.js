// timeline.js — renders a job's feed: `log` events as lines in a scrolling monospace
// panel, every other event type as a timeline row with a one-line summary.

import { appendCapped, pending } from "./capped.js";
import { bytes, clock, h, isolated, when, wholePercent } from "./dom.js";
import { FEED_GAP } from "./feed.js";
import { counted } from "./format.js";
import { scrollBox } from "./scroll-box.js";
import { droppedNotice, gapNotice, resultOfMove } from "./timeline-notices.js";

/** Rows and lines kept on screen: a very chatty job must not grow the page forever. */
const MAX_ROWS = 2000;
const MAX_LOG_LINES = 5000;
/**
 * Live events are drawn at most this often (ms): a flood of log frames is one DOM write per tenth of a second, not
 * one per frame (each forced a layout of the whole log to know whether it was scrolled to its end).
 */
const FLUSH_MS = 100;

/**
 * The timeline and log panels of a job's feed. Events wait as data (capped.js) and are drawn in one write: a replay
 * (the feed not yet live) when it ends, live events at most every FLUSH_MS.
 * @param {(id: string | undefined) => string} factoryName
 */
export function timelineView(factoryName) {
  const state = h("span", { class: "feed-state", role: "status", "aria-live": "polite" }, "connecting…");
  const rows = h("ol", { class: "timeline", "aria-label": "Events" });
  // Hidden until a line arrives: an empty dark box under "No log output yet." looked like a broken terminal.
  const log = h("div", { class: "log", role: "log", "aria-label": "Log output", tabindex: "0", hidden: true });
  const emptyLog = h("p", { class: "muted log-empty" }, "No log output yet.");
  // Outside the scroller and the list: it is no row, and it stays in view while the rows below it scroll.
  const dropped = h("p", { id: "timeline-dropped", class: "timeline-dropped muted", hidden: true });
  // A frame the feed skipped, said once (feed.js `onNotice`): the timeline is missing what it carried.
  // Marked an error only while it says something: a page counts its shown problems by `.status.error`.
  const notice = h("p", { id: "timeline-notice", class: "status", role: "status", hidden: true });
  /** Rows and log lines removed to keep the caps, or never drawn for them: the reader must know older ones exist. */
  let droppedRows = 0;
  let droppedLines = 0;
  /** @type {import("./capped.js").Pending<{ line: any, at: number }>} */
  const lines = pending(MAX_LOG_LINES);
  /** @type {import("./capped.js").Pending<import("./feed.js").JobEvent>} */
  const events = pending(MAX_ROWS);
  /** The feed is replaying (not live): what arrives is drawn when it is. */
  let replaying = true;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;
  const timelinePanel = h(
    "section",
    { class: "panel", "aria-labelledby": "timeline-title" },
    h("div", { class: "panel-head" }, h("h2", { id: "timeline-title" }, "Timeline"), state),
    notice,
    dropped,
    scrollBox("scroll", "Timeline events", null, rows),
  );
  const logPanel = h(
    "section",
    { class: "panel", "aria-labelledby": "log-title" },
    h("div", { class: "panel-head" }, h("h2", { id: "log-title" }, "Log")),
    emptyLog,
    log,
  );

  /** Keep a scroller pinned to the bottom only if the reader has not scrolled up. @param {Element} el */
  const pinned = (el) => el.scrollHeight - el.scrollTop - el.clientHeight < 24;

  /** @param {{ line: any, at: number }} x */
  const lineEl = ({ line: l, at }) =>
    h(
      "div",
      { class: `line ${l.stream === "stderr" ? "stderr" : l.stream === "agent" ? "agent" : ""}` },
      h("span", { class: "t" }, clock(l.at ?? at)),
      h("span", { class: "s" }, l.stream ?? ""),
      h("span", { class: "x" }, String(l.text ?? "")),
    );
  /** A row like an event's (the list's grid has its three columns), where seqs jump. @param {import("./feed.js").JobEvent} e */
  const gapRow = (e) =>
    h(
      "li",
      { class: "event gap", dataset: { seq: e.seq, type: e.type } },
      h("span", { class: "muted" }, "…"),
      h("span", { class: "etype muted" }, "gap"),
      h("span", { class: "summary muted" }, gapNotice(e.data.from, e.data.to)),
    );
  /** @param {import("./feed.js").JobEvent} e */
  const rowEl = (e) => (e.type === FEED_GAP ? gapRow(e) : eventRow(e));
  /** @param {import("./feed.js").JobEvent} e */
  const eventRow = (e) =>
    h(
      "li",
      { class: `event type-${e.type.replace(/\W/g, "-")}`, dataset: { seq: e.seq, type: e.type } },
      h("time", { datetime: new Date(e.at).toISOString(), title: when(e.at) }, clock(e.at)),
      h("span", { class: "etype" }, e.type),
      h("span", { class: "summary" }, summarize(e, factoryName)),
    );

  /** Draw what waits: one write per panel, the oldest rows and lines removed past the caps. */
  const flush = () => {
    clearTimeout(timer);
    timer = undefined;
    if (lines.size() > 0) {
      const stick = pinned(log);
      droppedLines += appendCapped(log, lines.take().map(lineEl), MAX_LOG_LINES) + lines.dropped();
      emptyLog.hidden = log.childElementCount > 0;
      log.hidden = !emptyLog.hidden;
      if (stick) log.scrollTop = log.scrollHeight;
    }
    if (events.size() > 0) {
      const scroller = /** @type {HTMLElement} */ (rows.parentElement);
      const stick = pinned(scroller);
      droppedRows += appendCapped(rows, events.take().map(rowEl), MAX_ROWS) + events.dropped();
      if (stick) scroller.scrollTop = scroller.scrollHeight;
    }
    dropped.textContent = droppedNotice(droppedRows, droppedLines);
    dropped.hidden = !dropped.textContent;
  };

  /** @param {import("./feed.js").JobEvent} e */
  const add = (e) => {
    if (e.type === "log") {
      const list = Array.isArray(e.data.lines) ? e.data.lines : [];
      lines.push(list.map((/** @type {any} */ line) => ({ line, at: e.at })));
    } else events.push([e]);
    if (!replaying && timer === undefined) timer = setTimeout(flush, FLUSH_MS);
  };

  /** @param {import("./feed.js").FeedState} s @param {string} detail */
  const setState = (s, detail) => {
    // Connecting or reconnecting, the socket replays what the page has not seen: drawn once the feed is live.
    replaying = s === "connecting" || s === "reconnecting";
    if (!replaying) flush();
    state.className = `feed-state feed-${s}`;
    const label = { connecting: "connecting…", live: "live", reconnecting: "reconnecting", stopped: "stopped" }[s];
    state.textContent = detail && s !== "live" ? `${label} — ${detail}` : label;
    state.title = detail;
  };

  /** Say why a frame was skipped (feed.js `onNotice`). @param {string} text */
  const say = (text) => {
    notice.textContent = text;
    notice.hidden = !text;
    notice.classList.toggle("error", Boolean(text));
  };

  return { timelinePanel, logPanel, emptyLog, log, add, setState, notice: say };
}

/**
 * One line describing an event: a case for every type of src/shared/protocol.ts FEED_EVENT_TYPES and no other
 * (test/unit/feed-event-types.test.ts), and a type this page does not know as its JSON.
 * @param {import("./feed.js").JobEvent} e
 * @param {(id: string | undefined) => string} name
 */
export function summarize(e, name) {
  const d = e.data ?? {};
  const parts = [];
  switch (e.type) {
    case "job.submitted":
      parts.push(`submitted as ${d.stage ?? "queued"}`, d.priority && `${d.priority} priority`);
      break;
    case "job.stage":
      parts.push(`${d.from} → ${d.to}`, d.holderFactoryId && `on ${name(d.holderFactoryId)}`);
      parts.push(
        d.leaseEpoch !== undefined && `epoch ${d.leaseEpoch}`,
        d.attempt !== undefined && `attempt ${d.attempt}`,
      );
      if (d.result && resultOfMove(d.from, d.to))
        parts.push(`${d.result.outcome}${d.result.message ? `: ${d.result.message}` : ""}`);
      break;
    case "job.action":
      parts.push(`${d.action} by ${d.actor}`, d.reviewer && d.reviewer !== d.actor && `reviewer ${d.reviewer}`, d.note);
      break;
    case "lease.granted":
      parts.push(
        `lease to ${name(d.factoryId)}`,
        `epoch ${d.leaseEpoch}`,
        d.expiresAt && `until ${clock(d.expiresAt)}`,
      );
      break;
    case "lease.lost":
      // An expiry says what its holder was last seen doing, its link lost at T, else its last heartbeat at T, as the
      // runs table does: "expired" alone read like the job's time limit.
      parts.push(`lease lost by ${name(d.factoryId)}`, `epoch ${d.leaseEpoch}`, d.why);
      if (d.why === "expired" && typeof d.linkLostAt === "number")
        parts.push(`${name(d.factoryId)} lost its link at ${clock(d.linkLostAt)}`);
      else if (d.why === "expired" && typeof d.lastHeartbeatAt === "number")
        parts.push(`${name(d.factoryId)}'s last heartbeat at ${clock(d.lastHeartbeatAt)}`);
      break;
    case "job.preempted":
      parts.push(`preempted by ${d.by}`, `on ${name(d.factoryId)}`, `epoch ${d.leaseEpoch}`);
      break;
    case "progress":
      parts.push(d.pct !== undefined && `${wholePercent(d.pct / 100)} %`, d.note);
      break;
    case "checkpoint":
      parts.push(d.branch, d.sha && String(d.sha).slice(0, 12), d.note);
      break;
    case "artifact.added":
      parts.push(`${d.name}`, typeof d.size === "number" && bytes(d.size), d.contentType);
      break;
    case "artifact.deleted":
      parts.push(`${d.name}`);
      break;
    case "job.review":
      parts.push(
        `${d.verdict} by ${d.reviewerName}`,
        d.required && `${d.approvals} of ${counted(d.required, "approval")}`,
        d.comment,
      );
      break;
    case "job.budget_exceeded":
      parts.push(
        `stopped over budget: ${d.why ?? `${d.limit ?? "budget"} reached ${d.used} of ${d.max}`}`,
        d.factoryId && `on ${name(d.factoryId)}`,
        d.leaseEpoch !== undefined && `epoch ${d.leaseEpoch}`,
      );
      break;
    case "job.children": {
      const added = Array.isArray(d.added) ? d.added : [];
      parts.push(
        `added ${added.length} ${added.length === 1 ? "child" : "children"}${added.length ? `: ${added.join(", ")}` : ""}`,
        d.total !== undefined && `${d.total} in all`,
      );
      break;
    }
    case "job.child_failed":
      parts.push(`child ${d.childId} is ${d.childStage ?? "unknown"}`);
      break;
    case "job.dependency_failed":
      parts.push(`dependency ${d.depId} is ${d.depStage ?? "unknown"}`);
      break;
    case "exclusion.cleared":
      parts.push(`${name(d.factoryId)} may take it again`, d.why);
      break;
    default:
      parts.push(JSON.stringify(d));
  }
  // Each part isolated: a factory's branch name or a reviewer's comment holding a right-to-left override must not
  // draw the parts after it backwards (test/e2e/dashboard-bidi).
  return parts
    .filter((p) => p !== undefined && p !== null && p !== false && p !== "")
    .map((p) => isolated(String(p)))
    .join(" · ");
}
