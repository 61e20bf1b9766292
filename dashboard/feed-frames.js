/**
 * @module dashboard/feed-frames
 * The job feed's frames as feed.js reads them: the shape of each frame kind it uses, and why one cannot be read — so
 * a frame that is not what the page reads is skipped and said, never a throw in the socket's message handler.
 */
import { fault, opt } from "./answer-shape.js";

/**
 * What the feed and the page read of each frame kind (shared/protocol FeedFrame), as answer-shape.js shapes: an
 * event's seq, type and instant and its data record (timeline.js reads its fields with defaults); a page's token (sent
 * back in "more <token>") and its counts; ready's lastSeq. A frame kind not listed (a newer feed's) is ignored.
 */
export const FRAMES = {
  event: { event: { seq: "number", type: "string", at: "number", data: "object" } },
  page: { token: "string", through: opt("number"), lastSeq: opt("number") },
  ready: { lastSeq: opt("number") },
};

/**
 * Why a frame of a kind FRAMES lists cannot be read, in words, or "" when it can: its first field not as read, or an
 * event's seq that is no positive whole number or instant that is no date (`new Date(at).toISOString()` throws).
 * @param {any} frame a parsed frame whose `type` is a key of FRAMES
 * @returns {string}
 */
export function frameFault(frame) {
  const f = fault(frame, FRAMES[/** @type {keyof typeof FRAMES} */ (frame.type)]);
  if (f) return f.got === undefined ? `it has no \`${f.path}\`` : `its \`${f.path}\` is not what the page reads`;
  if (frame.type !== "event") return "";
  const e = frame.event;
  if (!Number.isSafeInteger(e.seq) || e.seq < 1) return "its `event.seq` is not a positive whole number";
  if (!Number.isFinite(new Date(e.at).getTime())) return "its `event.at` is not an instant";
  return "";
}
