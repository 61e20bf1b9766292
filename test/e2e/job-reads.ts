// A count of a job page's reads of its job, for tests that say the page reads a quiet job once and no more: how many
// GETs of the job it sent, and what it was told meanwhile that excuses one more read each (dashboard-newcomer,
// dashboard-kept-panels). A load-slowed page meets these (a read failing, a feed socket given up on and back), so a
// count held to an exact number failed on a loaded machine for a page doing what it should.
import type { Page } from "playwright-core";

/** What `jobReads` gathers: read as the test ends. */
export interface JobReads {
  /** The GETs of the job the page sent. */
  reads: { n: number };
  /** One line per thing the page was told that excuses one more read, with when (ms since the count began). */
  excused: string[];
  /** Every API answer and socket, with when: for a failure's message. */
  heard: string[];
}

/**
 * Counts the GETs of job `id` that `page` sends from now on (`reads.n`), and what it was told meanwhile that excuses
 * one more read each (`excused`), as dashboard/job-detail.js reads a job: after a read of it that failed (what the page
 * shows is older: `stale`, read again at the next tick); after the poller's reads failed before it first knew the
 * queue version (its first answer is a change to it — the job may have changed after the page's read — live.js
 * `versionChanged`); after the job's feed socket closed once live (back, the page reads again: anything may have
 * changed while it was down — dashboard/feed.js gives a socket up when a ping interval, 15 s by the page's clock,
 * passed with nothing heard: a test running that clock on 20 s a look fires the interval once a look, so a pong slower
 * than one look, as on a loaded machine, gives the socket up). Call it before the
 * page loads (a signedInPage `route`) to count the first read too.
 * @param page the page, before it opens the job
 * @param id the job's id
 */
export function jobReads(page: Page, id: string): JobReads {
  const seen: JobReads = { reads: { n: 0 }, excused: [], heard: [] };
  const t0 = Date.now();
  const at = () => `${Date.now() - t0}ms`;
  let versionKnown = false;
  /** A request of `path` that got no answer or a refusal: which read it excuses, if any. */
  const failed = (method: string, path: string, why: string) => {
    if (method === "GET" && path.endsWith(`/jobs/${id}`)) seen.excused.push(`${at()} the job's read: ${why}`);
    if (path.endsWith("/queue-state") && !versionKnown) seen.excused.push(`${at()} the first version read: ${why}`);
  };
  page.on("request", (r) => {
    if (r.method() === "GET" && new URL(r.url()).pathname.endsWith(`/jobs/${id}`)) seen.reads.n++;
  });
  page.on("requestfailed", (r) => failed(r.method(), new URL(r.url()).pathname, r.failure()?.errorText ?? "failed"));
  page.on("response", (r) => {
    const path = new URL(r.url()).pathname;
    if (!path.includes("/api/")) return;
    seen.heard.push(`${at()} ${r.request().method()} ${path.split("/").slice(-2).join("/")} ${r.status()}`);
    if (!r.ok()) failed(r.request().method(), path, `HTTP ${r.status()}`);
    else if (path.endsWith("/queue-state")) versionKnown = true;
  });
  page.on("websocket", (ws) => {
    seen.heard.push(`${at()} socket opened`);
    let live = false;
    ws.on("framereceived", (f) => {
      if (typeof f.payload === "string" && f.payload.startsWith('{"type":"ready"')) live = true;
    });
    ws.on("close", () => {
      seen.heard.push(`${at()} socket closed${live ? " (was live)" : ""}`);
      if (live) seen.excused.push(`${at()} the feed's socket closed once live`);
    });
  });
  return seen;
}
