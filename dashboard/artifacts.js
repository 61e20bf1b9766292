// artifacts.js — a job's artifacts with downloads. A plain link cannot send the bearer
// header, so "Download" fetches the bytes with it and hands the browser a blob URL.

import { ARTIFACTS } from "./answers.js";
import { api, describeError, jobPath, request, transient } from "./api.js";
import { setBusy } from "./busy.js";
import {
  bytes,
  focusReturn,
  h,
  redrawKeepingFocus,
  replace,
  showError,
  showLoadError,
  statusLine,
  when,
} from "./dom.js";
import { newestRead } from "./newest-read.js";
import { pressOver } from "./press-hold.js";

/**
 * @param {import("./api.js").Session} session
 * @param {string} jobId
 * @param {(artifacts: any[]) => void} [onList] each list read, as drawn (the Log panel's log.txt: log-file.js)
 */
export function artifactsPanel(session, jobId, onList = () => {}) {
  const list = h("ul", { class: "artifacts" });
  const status = statusLine();
  const panel = h(
    "section",
    { class: "panel", "aria-labelledby": "artifacts-title" },
    h("div", { class: "panel-head" }, h("h2", { id: "artifacts-title" }, "Artifacts")),
    status,
    list,
  );

  // Reads overlap: the page's first read may still be out when an artifact event's re-read is sent. Only the latest
  // read may draw, or a slow older answer put back a list without what was uploaded since (until the next event).
  const reads = newestRead();
  /** The latest read failed in a way that may pass: the job page's next poller tick reads again (`failed`). */
  let retry = false;
  const load = async () => {
    const mine = reads.begin();
    try {
      const artifacts = await allArtifacts(session, jobId);
      await pressOver(); // a Download redrawn by an event's read between press and release lost it (press-hold.js)
      if (!reads.newest(mine)) return;
      retry = false;
      showLoadError(status);
      // Re-read on every artifact event: keyboard focus on a Download stays on it (it fell to the page's top).
      redrawKeepingFocus(list, () => {
        if (artifacts.length === 0) replace(list, h("li", { class: "empty" }, "No artifacts yet."));
        else replace(list, ...artifacts.map(item));
      });
      onList(artifacts);
    } catch (err) {
      if (!reads.newest(mine)) return;
      retry = transient(err);
      showLoadError(status, describeError(err));
    }
  };

  /** @param {any} a an artifact pointer */
  const item = (a) => {
    const button = h(
      "button",
      { type: "button", class: "secondary small", "data-focus-key": `download:${a.name}` },
      "Download",
    );
    button.setAttribute("aria-label", `Download ${a.name}`);
    button.addEventListener("click", () => void download(a, button));
    return h(
      "li",
      { dataset: { artifact: a.name } },
      h(
        "div",
        null,
        h("strong", { class: "mono" }, a.name),
        h("span", { class: "muted" }, ` ${bytes(a.size)} · ${a.contentType}`),
        h(
          "div",
          { class: "muted small", title: `sha256 ${a.sha256}` },
          `sha256 ${a.sha256.slice(0, 12)}… · ${when(a.createdAt)}`,
        ),
      ),
      button,
    );
  };

  /** @param {any} a @param {HTMLButtonElement} button */
  const download = async (a, button) => {
    const giveBack = focusReturn(button); // a redraw while the bytes come may replace the button
    setBusy(button, true); // aria-disabled: the pressed button keeps keyboard focus (busy.js)
    button.textContent = "Downloading…";
    try {
      const res = await request(session, `${jobPath(jobId)}/artifacts/${encodeURIComponent(a.name)}`);
      const url = URL.createObjectURL(await res.blob());
      const link = h("a", { href: url, download: a.name, hidden: true });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
      showError(status, "");
    } catch (err) {
      showError(status, describeError(err));
    } finally {
      setBusy(button, false);
      button.textContent = "Download";
      giveBack();
    }
  };

  void load();
  return { panel, load, failed: () => retry };
}

/**
 * Every artifact of the job: the list is paged (at most 100 a page, 100 a job), each page's `nextCursor` followed.
 * A cursor handed out twice would page for ever (the tab reading and growing until closed): it fails the read.
 * @param {import("./api.js").Session} session
 * @param {string} jobId
 * @returns {Promise<any[]>}
 */
async function allArtifacts(session, jobId) {
  const all = [];
  const seen = new Set();
  let cursor = "";
  do {
    const q = new URLSearchParams({ limit: "100" });
    if (cursor) q.set("cursor", cursor);
    const page = await api(session, `${jobPath(jobId)}/artifacts?${q}`, { answer: ARTIFACTS });
    all.push(...page.artifacts);
    cursor = page.nextCursor ?? "";
    if (cursor && seen.has(cursor)) throw new Error(`the coordinator handed out the list's cursor "${cursor}" twice`);
    seen.add(cursor);
  } while (cursor);
  return all;
}
