// enrollment-code-new.js — the "New code" form of the enrollment codes page (enrollment-codes.js): the code's lifetime,
// and optionally the one host name that may redeem it and the most seats it grants (POST …/factories/enrollment-codes,
// operator). The answer's code is shown once, in a read-only box with Copy and the host's enroll command: the
// coordinator keeps only its hash, so nothing can show it again. Done, leaving the page, revoking it or a read of the
// list that no longer has it (a host used it) drops it.

import { CODE_MINTED } from "./answers.js";
import { api, apiBase, outcomeUnknown, writeFailure } from "./api.js";
import { isBusy, setBusy } from "./busy.js";
import { h, replace, showError, statusLine, when } from "./dom.js";
import { refusalError } from "./field-error.js";

/** The lifetimes offered, in seconds (the API takes 60 s to 7 days; an hour is its default, and the CLI's). */
export const LIFETIMES = [
  [600, "10 minutes"],
  [3600, "1 hour"],
  [86400, "1 day"],
  [604800, "7 days"],
];

/** How a host runs the agent, as `gigafactory enroll` prints it (cli/commands/factories AGENT). */
const AGENT = "node_modules/.bin/node bin/gigafactory-agent.mjs";

/**
 * The line to paste on the host: the code, and the name and seats it binds (the agent must ask for that name).
 * @param {string} product @param {{ code: string, name?: string, seats?: number }} minted
 */
export function enrollCommand(product, minted) {
  const seats = minted.seats === undefined ? "" : ` --seats ${minted.seats}`;
  const name = minted.name ?? "<host name>";
  return `${AGENT} enroll --url ${apiBase()} --product ${product} --code ${minted.code} --name ${name}${seats} && ${AGENT} run`;
}

/**
 * The form and the panel that shows a minted code once.
 * @param {import("./live.js").Live} live
 * @param {(minted: any) => Promise<void>} onMinted the list re-reads (the new code is on it, by id); `null` after a
 *   request whose outcome is unknown, and New code stays busy until that read is done
 */
export function newCodeForm(live, onMinted) {
  let alive = true;
  const status = statusLine();
  status.id = "code-new-status";
  const ttl = h(
    "select",
    { id: "code-new-ttl", name: "ttlSeconds" },
    ...LIFETIMES.map(([s, label]) => h("option", { value: String(s), selected: s === 3600 }, label)),
  );
  const name = h("input", {
    type: "text",
    id: "code-new-name",
    name: "name",
    autocomplete: "off",
    spellcheck: "false",
  });
  const seats = h("input", { type: "number", id: "code-new-seats", name: "seats", min: "1", max: "64", step: "1" });
  const submit = h("button", { type: "submit", class: "primary", id: "code-new" }, "New code");
  const panel = h("div", { id: "code-once", "data-testid": "code-once", class: "code-once", hidden: true });
  /** The id of the code the panel shows, so revoking that code drops it. @type {string | null} */
  let shownId = null;
  /** When the panel's code was shown (performance.now(), ms): a read of the list asked before cannot list it yet. */
  let shownAt = 0;

  const form = h(
    "form",
    { id: "code-new-form", "aria-labelledby": "code-new-title", novalidate: true, "data-needs": "operator" },
    h("h2", { id: "code-new-title" }, "New code"),
    h("div", { class: "row" }, h("label", { for: "code-new-ttl" }, "Valid for"), ttl),
    h("div", { class: "row" }, h("label", { for: "code-new-name" }, "Only for host (optional)"), name),
    h("div", { class: "row" }, h("label", { for: "code-new-seats" }, "At most seats (optional)"), seats, submit),
    status,
  );

  /** Drop the shown code: from the page, not only from sight. */
  const forget = () => {
    shownId = null;
    replace(panel);
    panel.hidden = true;
  };

  /** @param {any} minted the API's answer, with its `code` */
  const show = (minted) => {
    shownId = minted.id;
    shownAt = performance.now();
    const box = h("input", { type: "text", id: "code-once-value", readonly: true, value: minted.code });
    const said = statusLine();
    said.id = "code-once-status";
    const copy = h("button", { type: "button", class: "secondary", id: "code-copy" }, "Copy");
    copy.addEventListener("click", async () => {
      try {
        await navigator.clipboard.writeText(minted.code);
        showError(said);
        said.textContent = "Copied.";
      } catch {
        // The browser may refuse (permissions, no secure context): the code stays selected for Ctrl+C.
        box.select();
        showError(said, "The browser refused to copy: the code is selected, press Ctrl+C.");
      }
    });
    const done = h("button", { type: "button", class: "secondary", id: "code-done" }, "Done");
    done.addEventListener("click", () => {
      forget();
      submit.focus();
    });
    replace(
      panel,
      h("h2", { id: "code-once-title" }, `Code ${minted.id}: shown once`),
      h(
        "p",
        { class: "muted", id: "code-once-hint" },
        `Copy it now: the coordinator keeps only its hash, so it cannot be shown again. It works once, until ${when(minted.expiresAt)}.`,
      ),
      h("label", { for: "code-once-value" }, "Enrollment code"),
      box,
      h("div", { class: "row" }, copy, done),
      said,
      h("p", { class: "muted" }, "On the host:"),
      h("code", { id: "code-once-command" }, enrollCommand(live.session.product, minted)),
    );
    panel.hidden = false;
    // Focus on the code, selected: what the person came for, ready to copy.
    box.focus();
    box.select();
  };

  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    if (isBusy(submit)) return; // one code per press
    /** @type {Record<string, unknown>} */
    const bodyOut = { ttlSeconds: Number(ttl.value) };
    if (name.value.trim()) bodyOut.name = name.value.trim();
    if (seats.value.trim()) bodyOut.seats = Number(seats.value);
    setBusy(submit, true); // aria-disabled: a pressed New code keeps keyboard focus (busy.js)
    showError(status);
    status.textContent = "Creating…"; // while the request is out: a slow answer is not a lost click
    try {
      const minted = await api(live.session, "/factories/enrollment-codes", {
        method: "POST",
        body: bodyOut,
        answer: CODE_MINTED,
      });
      if (!alive) return;
      status.textContent = `Created ${minted.id}.`;
      name.value = "";
      seats.value = "";
      show(minted);
      void onMinted(minted);
      setBusy(submit, false);
    } catch (err) {
      if (!alive) return;
      // A box the coordinator refused (a host name it does not take, seats past 64) is marked and focused.
      refusalError(err, status, writeFailure(err, "Not created"), { ttlSeconds: ttl, name, seats });
      // No answer to read: a code may have been minted all the same, which nothing can show now. The list is read
      // again, so it is there to see (and revoke) before another is made — busy until then: armed at the refusal, a
      // press while the list was still being read made a second code before the first was on it.
      if (outcomeUnknown(err)) await onMinted(null);
      setBusy(submit, false);
    }
  });

  return {
    form,
    panel,
    submit,
    /** @param {string} id a code just revoked: if the panel shows it, it is no use any more */
    revoked: (id) => {
      if (id === shownId) forget();
    },
    /**
     * A read of the list asked at `askedAt` (performance.now(), ms) lists the codes `ids`. The code shown, minted
     * before that read was asked and not on it, can enroll nothing now — used by a host (the list drops a used code),
     * revoked elsewhere or expired — and goes, with its Copy: a used code's stayed offered until Done.
     * @param {string[]} ids @param {number} askedAt
     */
    listed: (ids, askedAt) => {
      if (shownId === null || askedAt < shownAt || ids.includes(shownId)) return;
      const id = shownId;
      const hadFocus = panel.contains(document.activeElement);
      forget();
      showError(status);
      status.textContent = `${id} is no longer waiting to be used (a host used it, or it was revoked or expired).`;
      if (hadFocus) submit.focus();
    },
    /** Whether a minted code is shown (its Copy offered). */
    showing: () => shownId !== null,
    stop: () => {
      alive = false;
    },
  };
}
