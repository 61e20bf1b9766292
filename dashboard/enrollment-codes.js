// enrollment-codes.js — the enrollment codes page (#/enrollment): the product's one-time codes an agent trades for its
// factory token, as GET …/factories/enrollment-codes gives them (operator): id, who minted it, when, until when, and
// the host name and seats it binds — never the code, which the coordinator keeps only as a hash. Revoke (DELETE
// …/enrollment-codes/{id}; enrollment-code-revoke.js) asks first, in the row; "New code" (enrollment-code-new.js)
// shows a minted code once. A token that may not list them is told so instead of a table. The API answers every live
// code at once (no cursor): no pager. A role known to be below operator (role.js) is told so at once, with no request
// the server would refuse. Stable ids and data-testids for the browser test: #codes-rows,
// [data-testid="code-row"][data-code-id].

import { CODES } from "./answers.js";
import { ApiError, api, describeError } from "./api.js";
import { setBusy } from "./busy.js";
import { ago, focusReturn, h, replace, showLoadError, statusLine, when } from "./dom.js";
import { newCodeForm } from "./enrollment-code-new.js";
import { codeRevoker } from "./enrollment-code-revoke.js";
import { bindsText, expiresText, stateText, tickClock } from "./enrollment-code-text.js";
import { newestRead } from "./newest-read.js";
import { pressOver } from "./press-hold.js";
import { mayList } from "./role.js";
import { scrollBox } from "./scroll-box.js";

/**
 * Render the enrollment codes page into `root`; returns a cleanup function.
 * @param {HTMLElement} root
 * @param {import("./live.js").Live} live
 */
export function enrollmentCodesView(root, live) {
  let alive = true;
  const status = statusLine();
  status.id = "codes-status";
  const body = h("tbody", { id: "codes-rows" });
  const refused = h("p", { class: "status error", id: "codes-refused", role: "alert", hidden: true });
  const refresh = h("button", { type: "button", class: "secondary", id: "codes-refresh" }, "Refresh");
  // The creator waits for this read after a New code whose answer was lost: busy until the list shows what was made.
  const creator = newCodeForm(live, () => reload());
  const listHead = h("div", { class: "row" }, h("h2", null, "Waiting to be used"), refresh);
  const table = scrollBox(
    "table-wrap",
    "Enrollment codes table",
    { id: "codes-table" },
    h(
      "table",
      { class: "enrollment-codes" },
      h("caption", { class: "sr-only" }, "Enrollment codes that can still be used, oldest first"),
      h(
        "thead",
        null,
        h(
          "tr",
          null,
          ...["Code id", "Minted by", "Created", "Expires", "Binds", "State"].map((t) => h("th", { scope: "col" }, t)),
          h("th", { scope: "col", "data-needs": "operator" }, h("span", { class: "sr-only" }, "Action")),
        ),
      ),
      body,
    ),
  );

  /** @param {any} c an EnrollmentCodeListed */
  const row = (c) =>
    h(
      "tr",
      { "data-testid": "code-row", "data-code-id": c.id },
      h("td", { class: "id" }, c.id),
      h("td", null, c.mintedBy ?? "—"),
      h("td", { title: when(c.createdAt), "data-at": c.createdAt }, ago(c.createdAt)),
      h("td", { title: when(c.expiresAt), "data-expires-at": c.expiresAt }, expiresText(c.expiresAt)),
      h("td", null, bindsText(c)),
      // Listed codes are unused by definition: the API drops a code once it is used, revoked or expired.
      h("td", { "data-state-expires-at": c.expiresAt }, stateText(c.expiresAt)),
      actions(c),
    );

  /** Numbered as sent: a read overtaken by a newer one (Refresh crossing a revoke's re-read) is dropped. */
  const reads = newestRead();
  const load = async () => {
    const mine = reads.begin();
    const askedAt = performance.now(); // the code the creator shows is on a read asked after it was minted
    // Busy while the list is read, keeping keyboard focus (busy.js); giveBack covers a redraw meanwhile.
    const giveBack = focusReturn(refresh);
    setBusy(refresh, true);
    try {
      const { codes } = await api(live.session, "/factories/enrollment-codes", { answer: CODES });
      await pressOver(); // a Revoke redrawn by a fleet move's read between press and release lost it (press-hold.js)
      if (!alive || !reads.newest(mine)) return;
      const empty = h(
        "tr",
        null,
        h(
          "td",
          { colspan: "7", class: "empty", id: "codes-empty" },
          "No codes waiting. A new code enrolls one host, once.",
        ),
      );
      replace(body, ...(codes.length ? codes.map(row) : [empty]));
      showLoadError(status);
      creator.listed(
        codes.map((/** @type {any} */ c) => c.id),
        askedAt,
      );
    } catch (err) {
      if (!alive || !reads.newest(mine)) return;
      if (err?.status === 403 && !err.foreign) return refuse(err); // the role's, not a gateway's
      showLoadError(status, `Cannot load enrollment codes: ${describeError(err)}`);
    } finally {
      if (alive && reads.last(mine)) {
        setBusy(refresh, false);
        giveBack();
      }
    }
  };

  /** The list read again after this page's New code or Revoke answered: a read out now was sent before it. */
  const reload = () => {
    reads.overtake();
    return load();
  };
  const { actions } = codeRevoker({ live, body, status, creator, load: reload, alive: () => alive });

  /**
   * This token may not list codes (a viewer): say so, and offer nothing it would be refused. `err`: the server's
   * refusal, when it was asked (the role was not known: an older coordinator); none when whoami said the role.
   * @param {unknown} [err]
   */
  const refuse = (err) => {
    table.hidden = true;
    creator.form.hidden = true;
    listHead.hidden = true;
    refused.hidden = false;
    // The server's reason as it is, without describeError's advice: this line's first sentence is that advice.
    const why = err === undefined ? "" : ` ${err instanceof ApiError ? err.readable : describeError(err)}`;
    refused.textContent = `Enrollment codes are for operators: sign in with an operator token to list, create or revoke them.${why}`;
  };

  refresh.addEventListener("click", () => void load());
  replace(
    root,
    h(
      "section",
      { class: "card", id: "codes-panel", "aria-labelledby": "codes-title" },
      h("h1", { id: "codes-title" }, "Enrollment codes"),
      h(
        "p",
        { class: "muted" },
        "One-time codes a host trades for its factory token. Listed until used, revoked or expired; the code itself is shown only when it is created.",
      ),
      refused,
      creator.form,
      creator.panel,
      listHead,
      status,
      table,
    ),
  );
  // A role known to list none (role.js) is told so without a request the server would refuse.
  if (mayList(live.role)) void load();
  else refuse();
  // The poller's ticks move the list's times, with no read of their own — but a host enrolling moves the fleet
  // (live.js fleetChanged): while a minted code is shown, the list is read again, and a code gone from it (used) is
  // no longer offered to copy.
  const unsubscribe = live.subscribe(({ fleetChanged }) => {
    tickClock(body);
    if (fleetChanged && creator.showing() && mayList(live.role)) void load();
  });
  return () => {
    alive = false;
    unsubscribe();
    creator.stop();
  };
}
