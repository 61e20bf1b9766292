// runs.js — a job's attempts (GET …/jobs/<id>/runs): factory, lease epoch, timings,
// outcome and insights (tokens, cost, diff stat), one table row per attempt.

import { RUNS } from "./answers.js";
import { api, describeError, jobPath, transient } from "./api.js";
import { duration, h, replace, showLoadError, statusLine, when } from "./dom.js";
import { clock, counted } from "./format.js";
import { newestRead } from "./newest-read.js";
import { runSpendWords } from "./run-spend-words.js";
import { scrollBox } from "./scroll-box.js";
import { usdText } from "./usd.js";

/**
 * @param {import("./api.js").Session} session
 * @param {string} jobId
 * @param {(id: string | undefined) => string} factoryName
 */
export function runsPanel(session, jobId, factoryName) {
  const body = scrollBox("table-wrap", "Runs table", null);
  const status = statusLine();
  const panel = h(
    "section",
    { class: "panel", "aria-labelledby": "runs-title" },
    h("div", { class: "panel-head" }, h("h2", { id: "runs-title" }, "Runs")),
    status,
    body,
  );

  /** The last read failed in a way that may pass: the job page's next poller tick reads again (`failed`). */
  let retry = false;
  const reads = newestRead();
  const load = async () => {
    const mine = reads.begin();
    try {
      const { runs } = await api(session, `${jobPath(jobId)}/runs`, { answer: RUNS });
      if (!reads.newest(mine)) return; // overtaken: the newer read draws (job-reads.js)
      retry = false;
      showLoadError(status);
      render(runs);
    } catch (err) {
      if (!reads.newest(mine)) return;
      retry = transient(err);
      showLoadError(status, describeError(err));
    }
  };

  /** @param {any[]} runs */
  const render = (runs) => {
    if (runs.length === 0) {
      replace(body, h("p", { class: "empty" }, "No attempts yet."));
      return;
    }
    replace(
      body,
      h(
        "table",
        { class: "runs" },
        h("caption", { class: "sr-only" }, "Attempts of this job"),
        h(
          "thead",
          null,
          h(
            "tr",
            null,
            ...["#", "Factory", "Epoch", "Started", "Took", "Outcome", "Insights"].map((t) =>
              h("th", { scope: "col" }, t),
            ),
          ),
        ),
        h("tbody", null, ...runs.map((r) => runRow(r, factoryName))),
      ),
    );
  };

  void load();
  return { panel, load, failed: () => retry };
}

/**
 * The words after a run's outcome: its result's message, except for a lease expiry, which says what its holder was
 * last seen doing — its link lost (`linkLostAt`): "gpu-1 lost its link at 18:37:59; its lease expired at 18:38:54", else
 * its last heartbeat (`lastHeartbeatAt`): "gpu-1's last heartbeat at 18:37:24; its lease expired at 18:38:54" (local
 * time, as the page's other times; with dates where they fall on different days): "timeout lease expired" alone read
 * like the job's own time limit, and said nothing of the host.
 * @param {any} r a Run @param {(id: string | undefined) => string} factoryName
 * @returns {string} "" for none
 */
export function runResultWords(r, factoryName) {
  const { linkLostAt: lost, lastHeartbeatAt: beat, endedAt: end } = r;
  if (r.result?.outcome !== "timeout" || typeof end !== "number") return r.result?.message ?? "";
  const who = factoryName(r.factoryId);
  if (typeof lost === "number") return `${who} lost its link at ${clock(lost)}; its lease expired at ${clock(end)}`;
  if (typeof beat !== "number") return r.result?.message ?? "";
  const apart = new Date(beat).toDateString() !== new Date(end).toDateString();
  const [at, ended] = apart ? [when(beat), when(end)] : [clock(beat), clock(end)];
  return `${who}'s last heartbeat at ${at}; its lease expired at ${ended}`;
}

/**
 * A run's duration: start to end, except for a run a lease expiry ended, which runs to its holder's last sign of
 * life — "21 s, link lost", "21 s to last heartbeat": the expiry comes a TTL or more after the host went (a `kill -9`
 * at 21 s read "1 min 32 s"). A sign outside the run says nothing of it. As the CLI's (cli/run-span).
 * @param {any} r a Run
 * @returns {string} "—" while running
 */
export function runSpanWords(r) {
  const { startedAt: start, endedAt: end } = r;
  if (typeof end !== "number") return "—";
  const within = (/** @type {unknown} */ at) => typeof at === "number" && at >= start && at <= end;
  if (r.result?.outcome === "timeout") {
    if (within(r.linkLostAt)) return `${duration(r.linkLostAt - start)}, link lost`;
    if (within(r.lastHeartbeatAt)) return `${duration(r.lastHeartbeatAt - start)} to last heartbeat`;
  }
  return duration(end - start);
}

/** @param {any} r a Run @param {(id: string | undefined) => string} factoryName */
function runRow(r, factoryName) {
  const i = r.insights ?? {};
  const insights = [
    i.tokensIn !== undefined || i.tokensOut !== undefined
      ? `${i.tokensIn ?? 0} in / ${i.tokensOut ?? 0} out tokens`
      : "",
    i.costUsd !== undefined ? usdText(i.costUsd) : "",
    i.diffStat ? `${counted(i.diffStat.files, "file")} +${i.diffStat.insertions} −${i.diffStat.deletions}` : "",
  ].filter(Boolean);
  // Its charge so far (running), unpriced tokens and the estimate at settings prices (run-spend-words.js).
  insights.push(...runSpendWords(r));
  const outcome = r.result?.outcome ?? (r.endedAt ? "ended" : "running");
  const words = runResultWords(r, factoryName);
  return h(
    "tr",
    null,
    h("td", { class: "num" }, r.attempt),
    h("td", null, factoryName(r.factoryId), r.engine ? h("span", { class: "muted" }, ` · ${r.engine}`) : null),
    h("td", { class: "num" }, r.leaseEpoch),
    h("td", null, when(r.startedAt)),
    h("td", null, runSpanWords(r)),
    h(
      "td",
      null,
      h("span", { class: `outcome outcome-${outcome}` }, outcome),
      words ? h("span", { class: "muted" }, ` ${words}`) : null,
      r.result?.rc !== undefined ? h("span", { class: "muted" }, ` (rc ${r.result.rc})`) : null,
    ),
    h("td", null, insights.join(" · ") || "—"),
  );
}
