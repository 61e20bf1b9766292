// fleet-grants.js — what an operator grants a factory, on its fleet card: the capabilities it declared beyond its
// grant (`pendingCapabilities`: it is not routed on them) with an Approve button, and its seat limit (the most seats
// it may declare and be given) with a control that sets it — both POST …/factories/{id}/capabilities/approve
// (operator: marked `data-needs`, role.js). The answer is the factory as granted now: said on the card's status line,
// and the list read again so the card shows the new grant. The cards are redrawn on every tick of the shared poller:
// what is typed in the seat limit, a request that is out and the answer said survive the redraw (`grantStore`).
// Stable ids for the browser test: `grant-<factoryId>`, `grant-approve-<id>`, `grant-seats-<id>`,
// `grant-seats-set-<id>`, `grant-status-<id>`.

import { GRANTED } from "./answers.js";
import { api, describeError, outcomeUnknown } from "./api.js";
import { busyAttr, setBusy } from "./busy.js";
import { focusReturn, h, isolated, shortText, showError, statusLine } from "./dom.js";
import { fieldError } from "./field-error.js";

/** The seat limits the API takes (shared/api ApproveGrantBody `seatLimit`). */
export const SEAT_LIMIT_MIN = 1;
export const SEAT_LIMIT_MAX = 64;

/**
 * The factories whose grant request is out, by id: their buttons are drawn busy until its answer. Kept for the whole
 * session, not per page: a grant out while the operator left the Fleet page and came back was drawn armed on the new
 * page (a fresh store), and a second press sent a second grant. The answer arms the buttons the page shows then.
 * @type {Set<string>}
 */
const sending = new Set();

/**
 * What the fleet page keeps across its redraws: the seat limit typed per factory (a redraw every tick wiped it), the
 * factories whose request is out (`sending`: their buttons are drawn busy — a redraw offered an armed one, and a
 * second press sent a second request), and the page's status line, where an answer about a card that is gone is said.
 * @param {HTMLElement} pageStatus
 */
export function grantStore(pageStatus) {
  return { drafts: new Map(), busy: sending, pageStatus };
}
/** @typedef {ReturnType<typeof grantStore>} GrantStore */

/** Capability names as the card lists them: someone's text, each cut and isolated. @param {unknown} caps */
const capsText = (caps) =>
  (Array.isArray(caps) ? caps : []).map((c) => isolated(shortText(String(c), 64))).join(", ") || "none";

/**
 * The seat limit typed, as the API takes it, or why not. @param {string} text
 * @returns {{ ok: true, seatLimit: number } | { ok: false, why: string }}
 */
export function parseSeatLimit(text) {
  const t = text.trim();
  const n = /^\d{1,3}$/.test(t) ? Number(t) : Number.NaN;
  if (Number.isInteger(n) && n >= SEAT_LIMIT_MIN && n <= SEAT_LIMIT_MAX) return { ok: true, seatLimit: n };
  return { ok: false, why: `A seat limit is a whole number from ${SEAT_LIMIT_MIN} to ${SEAT_LIMIT_MAX}.` };
}

/**
 * What an approval's answer says, or "" when the answer is not a factory (then the list, read again, shows it).
 * @param {any} r the answer (FactoryApproveAnswer: the factory and `changed`) @param {string} asked "capabilities" | "seats"
 */
export function grantAnswerText(r, asked) {
  if (typeof r !== "object" || r === null || !Array.isArray(r.capabilities) || typeof r.changed !== "boolean")
    return "";
  const limit = Number.isInteger(r.seatLimit) ? ` · seat limit ${r.seatLimit}` : "";
  const now = `routed on ${capsText(r.capabilities)}${limit}`;
  if (!r.changed)
    return asked === "seats"
      ? `Nothing changed: the seat limit was already that (${now}).`
      : `Nothing changed: nothing was pending (${now}).`;
  return asked === "seats" ? `Seat limit set: ${now}.` : `Approved: ${now}.`;
}

/**
 * Puts the factory an approval answered (its grant: capabilities, pendingCapabilities, seatLimit, …; its link and
 * breakers, as the list has them: the answer is the fleet view's) in place of factory `id` in the poller's list, as a
 * new list, so the page draws it; the next read of the list replaces it. A field the answer lacks (an older
 * coordinator's answer had no link) keeps the list's.
 * @param {import("./live.js").Live} live @param {string} id @param {Record<string, unknown>} answer
 */
export function withGrant(live, id, answer) {
  const { changed: _changed, ...record } = answer;
  live.factories = live.factories.map((x) => (x.id === id ? { ...x, ...record } : x));
}

/**
 * The card's grant block: pending capabilities with Approve, the seat limit with its control, and the status line;
 * null for a revoked factory (nothing is granted to it: the API answers 409).
 * @param {any} f a factory as GET …/factories lists it
 * @param {import("./live.js").Live} live
 * @param {GrantStore} store
 * @param {() => void} rerender draws the cards from the list read again
 */
export function grantPanel(f, live, store, rerender) {
  if (f.status === "revoked") return null;
  const pending = Array.isArray(f.pendingCapabilities) ? f.pendingCapabilities.map(String) : [];
  const status = statusLine();
  status.id = `grant-status-${f.id}`;
  status.tabIndex = -1; // focus lands on the outcome when the button it was on is gone
  const busy = store.busy.has(f.id);
  const approve = pending.length
    ? h(
        "button",
        {
          type: "button",
          class: "small",
          id: `grant-approve-${f.id}`,
          "aria-label": `Approve ${pending.join(", ")} for ${f.name}`,
          ...busyAttr(busy),
        },
        "Approve",
      )
    : null;
  const seats = h("input", {
    type: "number",
    id: `grant-seats-${f.id}`,
    min: SEAT_LIMIT_MIN,
    max: SEAT_LIMIT_MAX,
    step: 1,
    inputmode: "numeric",
    "aria-label": `Seat limit of ${f.name}`,
  });
  seats.value = store.drafts.get(f.id) ?? String(f.seatLimit ?? f.seats ?? "");
  seats.addEventListener("input", () => store.drafts.set(f.id, seats.value));
  const setSeats = h(
    "button",
    {
      type: "button",
      class: "secondary small",
      id: `grant-seats-set-${f.id}`,
      // Named for its factory: a page of cards each with "Set seat limit" read as many alike buttons (fleet-breakers).
      "aria-label": `Set seat limit of ${f.name}`,
      ...busyAttr(busy),
    },
    "Set",
  );
  // A redraw while the request was out replaced the card: the answer goes to what the page shows now.
  const shown = () => /** @type {HTMLElement} */ (document.getElementById(status.id) ?? status);

  /** @param {HTMLButtonElement} button @param {Record<string, unknown>} body @param {"capabilities" | "seats"} asked */
  const send = async (button, body, asked) => {
    if (store.busy.has(f.id)) return;
    store.busy.add(f.id);
    const giveBack = focusReturn(button, () => document.getElementById(status.id));
    // Busy, not disabled: the pressed button keeps keyboard focus while the request is out (busy.js).
    for (const id of [`grant-approve-${f.id}`, `grant-seats-set-${f.id}`]) setBusy(document.getElementById(id), true);
    showError(shown());
    showError(store.pageStatus); // what it said of an earlier card is over
    shown().textContent = asked === "seats" ? "Setting the seat limit…" : "Approving…";
    let said = "";
    let refused = false;
    let reread = true;
    /** @type {any} the factory as granted now (the answer is its record), drawn when the list cannot be read again */
    let granted = null;
    try {
      const r = await api(live.session, `/factories/${encodeURIComponent(f.id)}/capabilities/approve`, {
        method: "POST",
        body,
        answer: GRANTED,
      });
      granted = r;
      store.drafts.delete(f.id);
      said = grantAnswerText(r, asked) || "Done: the card shows the factory as granted now.";
    } catch (err) {
      refused = true;
      reread = err?.status === 404 || err?.status === 409 || outcomeUnknown(err);
      said = `${asked === "seats" ? "Seat limit not set" : "Not approved"}: ${describeError(err)}`;
      if (err?.status === 404 && !err.foreign) store.drafts.delete(f.id); // gone: not another server's 404
    }
    // Read again unless the refusal changed nothing the card shows (a 400, a 403): done, the card shows the grant
    // now; a 404 or 409 (removed or revoked meanwhile) or no answer to read, it shows what is true.
    // Granted but not read again (a coordinator failing): the card showed the old grant — "waiting for approval",
    // Approve armed — under the line that said it was approved. The answer, the factory's record, is drawn instead.
    // Busy until then, as its buttons are drawn: cleared at the answer, Enter in the seat box (its own keydown, no
    // click for guardBusy to drop) or a poller's redraw (cards drawn from `store.busy`) sent a second grant meanwhile.
    try {
      if (reread)
        await live.reloadFactories().then(rerender, () => {
          if (!granted) return;
          withGrant(live, f.id, granted);
          rerender();
        });
    } finally {
      store.busy.delete(f.id);
    }
    for (const id of [`grant-approve-${f.id}`, `grant-seats-set-${f.id}`]) setBusy(document.getElementById(id), false);
    // The card's grant block gone with the list read again (the factory removed, or revoked: it has none), the
    // answer is said on the page's own line, named for the factory, and focus goes there.
    const here = document.getElementById(status.id);
    const line = here ?? store.pageStatus;
    const text = here ? said : `${f.name}: ${said}`;
    showError(line, refused ? text : undefined);
    if (!refused) line.textContent = text;
    if (!here) store.pageStatus.focus({ preventScroll: true });
    giveBack();
  };

  approve?.addEventListener("click", () => void send(approve, { capabilities: pending }, "capabilities"));
  const submitSeats = () => {
    // By id: a redraw while it was typed in keeps that box on the page (kept-box.js), not the one made here.
    const box = /** @type {HTMLInputElement} */ (document.getElementById(seats.id) ?? seats);
    const parsed = parseSeatLimit(box.value);
    if (!parsed.ok) {
      fieldError(box, shown(), parsed.why);
      return;
    }
    void send(setSeats, { seatLimit: parsed.seatLimit }, "seats");
  };
  setSeats.addEventListener("click", submitSeats);
  seats.addEventListener("keydown", (ev) => {
    if (ev.key !== "Enter") return;
    ev.preventDefault();
    submitSeats();
  });
  const declared =
    Number.isInteger(f.declaredSeats) && Number.isInteger(f.seatLimit) && f.declaredSeats > f.seatLimit
      ? ` · it declares ${f.declaredSeats}`
      : "";
  return h(
    "div",
    { class: "grant", id: `grant-${f.id}`, dataset: { testid: "grant" } },
    pending.length
      ? h(
          "p",
          { class: "pending" },
          h("span", { class: "badge pending-caps" }, "waiting for approval"),
          " ",
          h("span", { id: `grant-pending-${f.id}` }, capsText(pending)),
          " — declared beyond its grant: it is not routed on them until approved.",
        )
      : null,
    approve ? h("div", { class: "row", "data-needs": "operator" }, approve) : null, // role.js
    h(
      "p",
      { class: "muted", id: `grant-limit-${f.id}` },
      `seat limit ${Number.isInteger(f.seatLimit) ? f.seatLimit : "—"}${declared}`,
    ),
    h("div", { class: "row", "data-needs": "operator" }, seats, setSeats),
    status,
  );
}
