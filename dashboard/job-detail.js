// job-detail.js — one job (#/jobs/<id>): header facts, operator actions, the live
// timeline and log from the job's feed, the manifest, the explain panel, runs and
// artifacts. Panels reload when the feed says something they show has changed. The
// facts themselves (header and manifest) are laid out by job-facts.js.

import { actionBar } from "./actions.js";
import { JOB } from "./answers.js";
import { api, describeError, jobPath, transient } from "./api.js";
import { artifactsPanel } from "./artifacts.js";
import { dagPanel } from "./dag.js";
import {
  h,
  isolated,
  redrawKeepingFocus,
  renderAges,
  replace,
  showLoadError,
  stageBadge,
  stageLabel,
  statusLine,
  titleText,
} from "./dom.js";
import { explainPanel } from "./explain.js";
import { JobFeedClient } from "./feed.js";
import { headerFacts, manifestFields } from "./job-facts.js";
import { everyRead, readSchedule, readsForEvent } from "./job-reads.js";
import { holderLink } from "./job-row.js";
import { logFileView } from "./log-file.js";
import { pressOver } from "./press-hold.js";
import { reviewPanel } from "./review.js";
import { runsPanel } from "./runs.js";
import { timelineView } from "./timeline.js";
import { readAtWaitEnd } from "./wait-end.js";
import { waitingDetail } from "./waiting.js";
import { reasonShown } from "./waiting-shown.js";

/**
 * @param {HTMLElement} root
 * @param {import("./live.js").Live} live
 * @param {string} jobId
 */
export function jobDetailView(root, live, jobId) {
  const session = live.session;
  const name = (/** @type {string | undefined} */ id) => live.factoryName(id);
  const linkOf = (/** @type {string | undefined} */ id) => holderLink(live, id);
  // Focusable from script: where focus goes when the job moved elsewhere and no action is offered (busy.js armGroup).
  const title = h("h1", { id: "job-title", tabindex: "-1" }, "Loading…");
  const badge = h("span", { class: "job-stage" });
  // The badge is redrawn at every read (each progress event): a live region of its own would be read out each time.
  // This line is written only when the stage moves, so a screen reader hears "Now building" once (WCAG 4.1.3).
  const stageNews = h("span", { class: "sr-only", id: "job-stage-news", role: "status", "aria-live": "polite" });
  const facts = h("dl", { class: "facts" });
  const waiting = h("div", { class: "waiting-slot" });
  const status = statusLine();
  const manifestFacts = h("dl", { class: "facts compact" });
  const manifestBody = h("pre", { class: "manifest", tabindex: "0", "aria-label": "Manifest body" });

  /**
   * Until the page is left. A read or an action still out then answered later and drew its job — the tab's title too:
   * with a slow coordinator, the next page (another job's, the board) was titled after the job left.
   */
  let alive = true;
  /** An action's or a review's answer: drawn, and the poller asked at once — on this page only. @param {any} job */
  const acted = (job) => {
    if (!alive) return;
    render(job, true);
    void live.refresh();
  };
  const actions = actionBar(session, jobId, acted);
  const timeline = timelineView(name);
  const explain = explainPanel(session, jobId, name);
  const runs = runsPanel(session, jobId, name);
  // The last run's log.txt in the Log panel: the feed replays only what was streamed (log-file.js).
  const logFile = logFileView(session, jobId, timeline);
  timeline.logPanel.append(logFile.el);
  const artifacts = artifactsPanel(session, jobId, logFile.show);
  const review = reviewPanel(session, jobId, acted);
  const dag = dagPanel(session, jobId); // composite jobs: the children as a laid-out graph

  replace(
    root,
    h(
      "article",
      { class: "job", "aria-labelledby": "job-title" },
      h("p", { class: "crumbs" }, h("a", { href: "#/jobs" }, "← Jobs")),
      h(
        "header",
        { class: "job-head" },
        h("div", { class: "job-title" }, title, badge, stageNews),
        status,
        waiting,
        facts,
        actions.bar,
      ),
      h(
        "div",
        { class: "job-grid" },
        h(
          "div",
          { class: "col" },
          dag.panel,
          timeline.timelinePanel,
          timeline.logPanel,
          h(
            "section",
            { class: "panel", "aria-labelledby": "manifest-title" },
            h("div", { class: "panel-head" }, h("h2", { id: "manifest-title" }, "Manifest")),
            manifestFacts,
            manifestBody,
          ),
        ),
        h("div", { class: "col" }, review.panel, explain.panel, runs.panel, artifacts.panel),
      ),
    ),
  );

  /** @type {any} */
  let current = null;
  /**
   * What the waiting panel shows (waiting-shown.js `reasonShown`): an action's answer carries no reason, and keeps it.
   * @type {{ reason: any, stage: string } | null}
   */
  let shownReason = null;
  // Reads coalesced per panel, and owed while the job's first read is out (job-reads.js).
  const reads = readSchedule();
  const { soon } = reads;
  // A backoff's or a hold's end changes the reason with no event, version or fleet move: the job is read once then.
  const waitEnds = readAtWaitEnd(() => soon(loadJob));
  /**
   * @param {any} answered the job as a read or an action's answer has it
   * @param {boolean} [acting] an action's answer: its status line says the new stage already
   */
  const render = (answered, acting = false) => {
    if (!alive) return;
    const why = reasonShown(shownReason, answered);
    shownReason = why;
    // The action bar reads the reason too (a queued job kept from factories may be requeued): it gets the one shown.
    const job = { ...answered, waitingReason: why.reason };
    if (!acting && current && current.stage !== job.stage) stageNews.textContent = `Now ${stageLabel(job.stage)}`;
    current = job;
    waitEnds.shown(job);
    title.textContent = titleText(job.title);
    document.title = `${isolated(titleText(job.title))} · Gigafactory`; // isolated: an override must not turn our words
    replace(badge, stageBadge(job.stage));
    actions.update(job);
    review.update(job);
    dag.update(job);
    replace(facts, ...headerFacts(job, name, linkOf));
    replace(waiting, waitingDetail(why.reason, why.stale, jobId, name));
    logFile.stage(job.stage); // an ended job's empty Log panel says none is coming
    // Redrawn at each read of the job (every progress event of a running one): focus on the Parent link stays on it.
    redrawKeepingFocus(manifestFacts, () => replace(manifestFacts, ...manifestFields(job)));
    manifestBody.textContent = job.bodyMd || "(no body)";
  };

  let loaded = false;
  /** The last read failed: what the page shows is older than that, so the next tick reads again. */
  let stale = false;
  const loadJob = async () => {
    try {
      const job = await api(session, jobPath(jobId), { answer: JOB });
      await pressOver(); // the Parent link redrawn by a feed event's read between press and release lost it (press-hold.js)
      if (!alive) return; // the page was left while the read was out: nothing of it is drawn or read after it
      showLoadError(status);
      // A read sent before the job drawn now (a read or an action's answer: its `rev` is higher), answering late, is
      // older than what is shown: drawn, it put the job back a stage (or two) until the next read.
      if (!(typeof job.rev === "number" && job.rev < (current?.rev ?? -1))) render(job);
      loaded = true;
      stale = false;
      reads.firstRead();
    } catch (err) {
      if (!alive) return;
      stale = transient(err);
      showLoadError(status, describeError(err));
      if (!loaded) title.textContent = "Job not available";
    }
  };

  /** @type {import("./job-reads.js").JobLoaders} */
  const loaders = {
    job: loadJob,
    runs: runs.load,
    explain: explain.load,
    artifacts: artifacts.load,
    dag: dag.load,
    review: review.load,
  };
  const feed = new JobFeedClient(session, jobId, {
    onEvent: (e) => {
      timeline.add(e);
      // The artifacts panel reads on its own, not through the job: its first read may have answered before this
      // upload, so the event re-reads it even while the job's first read is still out (it was dropped then).
      if (e.type.startsWith("artifact.")) soon(artifacts.load);
      reads.read(...readsForEvent(e.type, loaders));
    },
    onNotice: timeline.notice,
    // An event skipped as unreadable changed something the page cannot tell: read as after a gap.
    onSkipped: () => reads.read(...everyRead(loaders)),
    // Back after a drop, only what failed meanwhile is read: the feed resumes after the last event seen and replays
    // what was missed, each event reading what it changes (above), and a gap in it reads every panel. Reading the job
    // and all five panels at each reconnect was a storm when a coordinator restarted; leaving the failed ones to the
    // poller's tick left them red for up to its 30 s back-off after the outage's failed reads.
    onState: (state, detail) => {
      timeline.setState(state, detail);
      if (state === "live") retryFailed();
    },
  });

  /** Reads again every panel whose last read failed, and the job if its read did (`soon` reads each once). */
  const retryFailed = () => {
    for (const panel of [dag, runs, explain, artifacts, review]) if (panel.failed()) soon(panel.load);
    if (stale) soon(loadJob);
  };
  void loadJob();
  void dag.load();
  feed.start();
  const unsubscribe = live.subscribe(({ versionChanged, fleetChanged }) => {
    if (versionChanged) {
      soon(loadJob, dag.load); // a child's stage moves the queue version, not the parent's feed
      return;
    }
    // A failed read is retried on the next tick: the change it missed brings no other event or version bump.
    retryFailed();
    // A waiting job's reason follows the fleet, whose moves bump no version and send its feed nothing: "No capable
    // factory" stood once one with what it needs was enrolled. (The feed's reconnect, which once read the job, never
    // covered it: factories come back after the coordinator does, and most moves come with no drop.)
    if (stale || (fleetChanged && current?.waitingReason)) soon(loadJob);
    else if (current) {
      replace(facts, ...headerFacts(current, name, linkOf)); // factory names, their links, ages
      renderAges(waiting); // "since … (5 min ago)": a quiet job's reason is not read again while the fleet holds
    }
  });
  return () => {
    alive = false;
    unsubscribe();
    feed.stop();
    waitEnds.stop();
    reads.stop();
    document.title = "Gigafactory";
  };
}
