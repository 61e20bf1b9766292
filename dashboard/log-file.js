/**
 * @module dashboard/log-file
 * The Log panel's view of a job's `log.txt` artifact: the whole log of its last run, which the agent uploads at the run's
 * end (every later run replaces it). The panel's feed lines are only what was streamed live and is still replayed; a
 * finished job's page said "No log output yet." beside three runs and a `log.txt` (a newcomer, pass 43). The file's
 * last LOG_TAIL_BYTES are read (a `Range: bytes=-n` GET of the artifact, as the Artifacts panel's Download reads it)
 * and shown under a line saying what it is and where the whole file is.
 */

import { describeError, jobPath, request } from "./api.js";
import { bytes, h, replace, when } from "./dom.js";
import { newestRead } from "./newest-read.js";

/** The log's artifact name (src/agent/artifacts.ts). */
export const LOG_FILE = "log.txt";

/** Stages a job never runs in again (core/model TERMINAL_STAGES): no log output is coming. */
const ENDED = ["shipped", "dead_letter", "cancelled"];

/** What the panel says of an ended job with neither feed lines nor log.txt: "yet" promised output to come. */
export const NO_LOG_ENDED = "No log output: none was streamed and no log.txt was uploaded.";

/** 64 KiB: the most of log.txt the page reads and draws (bytes); the file can be 25 MiB. */
export const LOG_TAIL_BYTES = 64 * 1024;

/**
 * At most `max` bytes of a response's body: a coordinator that ignores the Range answers the whole file (200), whose
 * rest is not read (the read is cancelled).
 * @param {Response} res @param {number} max bytes
 * @returns {Promise<Uint8Array>}
 */
export async function boundedBody(res, max) {
  const out = new Uint8Array(max);
  let n = 0;
  const reader = res.body?.getReader();
  if (!reader) return out.subarray(0, 0);
  while (n < max) {
    const { done, value } = await reader.read();
    if (done) break;
    const take = Math.min(value.byteLength, max - n);
    out.set(value.subarray(0, take), n);
    n += take;
  }
  void reader.cancel().catch(() => {});
  return out.subarray(0, n);
}

/**
 * The words shown of a read of the log: its text, the first (cut) line left out when the read began inside the file.
 * @param {Uint8Array} body @param {{ size: number, tail: boolean }} a `size` of the whole file (bytes); `tail`: the
 * body is the file's end (a 206), else its start
 * @returns {{ text: string, cut: string }} `cut`: "" when the whole file is shown, else what part is
 */
export function logTailText(body, { size, tail }) {
  const text = new TextDecoder().decode(body);
  if (body.byteLength >= size) return { text, cut: "" };
  if (!tail) return { text, cut: `its first ${bytes(body.byteLength)} of ${bytes(size)}` };
  const nl = text.indexOf("\n");
  return { text: nl >= 0 ? text.slice(nl + 1) : text, cut: `its last ${bytes(body.byteLength)} of ${bytes(size)}` };
}

/**
 * The log file's block of the Log panel. `show(artifacts)` (each read of the Artifacts panel's list) reads the file
 * again when it changed (another sha256), and hides `emptyLog` while there is one: "No log output yet." only when
 * the job has no log file either.
 * @param {import("./api.js").Session} session @param {string} jobId
 * @param {{ emptyLog: HTMLElement, log: HTMLElement }} panel the Log panel's "No log output yet." line, and its box of
 * the feed's lines
 * @returns {{ el: HTMLElement, show: (artifacts: any[]) => void, stage: (stage: string) => void }} `stage`: the job's,
 * at each read of it
 */
export function logFileView(session, jobId, { emptyLog, log }) {
  const about = h("p", { class: "muted log-file-about", id: "log-file-about" });
  const text = h("pre", { class: "log log-file", tabindex: "0", "aria-labelledby": "log-file-about", hidden: true });
  const el = h("div", { class: "log-file-block", hidden: true }, about, text);
  const reads = newestRead();
  /** The sha256 of the log.txt drawn (or being read): an artifact list re-read for another upload reads it once. */
  let shown = "";
  /** The job has ended, and the artifacts were listed (no log.txt known before they are). */
  let [ended, listed] = [false, false];
  const words = () => {
    emptyLog.textContent = ended && listed ? NO_LOG_ENDED : "No log output yet.";
  };
  const stage = (/** @type {string} */ s) => {
    ended = ENDED.includes(s);
    words();
  };
  const show = (/** @type {any[]} */ artifacts) => {
    listed = true;
    words();
    const a = artifacts.find((x) => x.name === LOG_FILE);
    el.hidden = !a;
    if (!a) {
      shown = "";
      emptyLog.hidden = log.childElementCount > 0; // the feed's lines decide, as before
      return;
    }
    emptyLog.hidden = true;
    if (a.sha256 === shown) return;
    shown = a.sha256;
    void load(a);
  };
  /** @param {any} a the log.txt artifact pointer */
  const load = async (a) => {
    const mine = reads.begin();
    const where = `${LOG_FILE} (${bytes(a.size)}, uploaded ${when(a.createdAt)}) in Artifacts`;
    replace(about, `The last run's whole log is ${where}; reading it…`);
    try {
      const res = await request(session, `${jobPath(jobId)}/artifacts/${encodeURIComponent(LOG_FILE)}`, {
        headers: { range: `bytes=-${LOG_TAIL_BYTES}` },
      });
      const body = await boundedBody(res, LOG_TAIL_BYTES);
      if (!reads.newest(mine)) return;
      const { text: words, cut } = logTailText(body, { size: a.size, tail: res.status === 206 });
      replace(about, `The last run's log, ${where}${cut ? ` — shown: ${cut}` : ""}:`);
      text.textContent = words;
      text.hidden = false;
    } catch (err) {
      if (!reads.newest(mine)) return;
      shown = ""; // the next list read tries again
      text.hidden = true;
      replace(about, `The last run's whole log is ${where}; it could not be read here: ${describeError(err)}`);
    }
  };
  return { el, show, stage };
}
