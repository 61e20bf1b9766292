/**
 * @module dashboard/command-words
 * The CLI commands the server's words name (a waiting reason's message, an alert's), said as the dashboard's own
 * button or page where it has one for the same thing: "`gigafactory requeue job_1` runs it again" beside the job's
 * requeue button sent an operator to a terminal for a click. A job's actions (requeue, cancel, ship, reject) are the
 * action bar's on the job's own page ("the requeue button below"), a link to that page elsewhere; a serial key's
 * Unfreeze is the Jobs page's, a factory's Approve, Release and Reset breaker and the fleet's last-seen times the Fleet page's, the
 * budget's Resume and Set budget the Budget page's, the overflow policy the Settings page's, a dead letter's Redrive
 * the Dead letters page's, an enrollment code's Revoke the Enrollment page's. A command the dashboard has no control for (`gigafactory children ID FILE.json`,
 * `gigafactory enroll NAME`, `gigafactory-agent run` on a host) stays as the server wrote it. The words are mapped
 * here, not in the API: the CLI shows the same reasons, and commands are its words. A role that may not use a control
 * (a viewer; a role not read: role.js) is told whose it is — "an operator's requeue runs it again", "ask an operator
 * for Approve on the Fleet page" —: "the requeue button below" sent a viewer to a button the page does not draw for
 * them.
 */

import { h } from "./dom.js";
import { mayActNow } from "./role.js";

/**
 * A command in a server's words: "`gigafactory VERB …`" (an optional "run " before it, which the page's words
 * replace), or an unquoted pair: the webhook alert's "gigafactory dead-letters, then gigafactory dead-letters redrive
 * ID", the enrollment limit's "gigafactory enrollment-codes, then enrollment-codes revoke ID".
 */
const COMMAND =
  /(run )?`gigafactory ([^`]+)`|gigafactory (dead-letters), then gigafactory dead-letters redrive ID|gigafactory (enrollment-codes), then enrollment-codes revoke ID/g;

/** A job's actions the job page's action bar offers (actions.js), by the CLI's verb. */
const JOB_ACTIONS = ["requeue", "cancel", "ship", "reject"];

/**
 * Where the words are drawn: `jobId` the job they are about (a waiting reason's own), `onJobPage` true on that job's
 * page, whose action bar sits below them; `mayAct` false when the reader's role is offered no operator's control
 * (default: the page's role mark, role.js mayActNow).
 * @typedef {{ jobId?: string, onJobPage?: boolean, mayAct?: boolean }} Here
 */

/** What a control is said as to a role that may not use it: whose it is. */
const OPERATORS = "an operator's ";

/**
 * One piece of the words: plain text, a link to a page of the dashboard (`href`), or the name of a button on the job
 * page (`control`: drawn in bold).
 * @typedef {{ text: string, href?: string, control?: boolean }} Piece
 */

/** A link to a page of the dashboard. @param {string} href "#/fleet" @param {string} text @returns {Piece} */
const link = (href, text) => ({ text, href });

/**
 * A job action (`requeue job_1 --budget-usd N`) as the dashboard's: the button below on the job's own page, else a
 * link to the page of the job it names. undefined when the id is a placeholder (DEP: not one to link).
 * @param {string} verb @param {string[]} args @param {Here} here
 * @returns {Piece[] | undefined}
 */
function jobAction(verb, args, here) {
  const [named, ...flags] = args;
  const id = named === "ID" ? here.jobId : named; // the reason's own job, its id not one a shell takes (core/waiting-commands)
  if (id === undefined || /^[A-Z_]+$/.test(id)) return undefined; // DEP, KEY: a placeholder names no job to link
  const raise = flags.includes("--budget-usd");
  if (here.onJobPage && id === here.jobId) {
    // The action bar is not drawn for this role: no button below to name.
    if (here.mayAct === false) return [{ text: `${OPERATORS}${verb}${raise ? " with a higher job budget" : ""}` }];
    const box = raise ? " with a higher Job budget $" : "";
    return [{ text: "the " }, { text: verb, control: true }, { text: ` button below${box}` }];
  }
  const whose = id === here.jobId ? "its" : `${id}'s`;
  return [
    ...(here.mayAct === false ? [{ text: OPERATORS }] : []),
    link(`#/jobs/${encodeURIComponent(id)}`, `${verb}${raise ? " with a higher job budget" : ""} on ${whose} page`),
  ];
}

/**
 * A review verdict (`review approve job_1`) as the review card's button on the job's own page, else a link to that
 * page — as a job action is: the card's Approve and Reject are an operator's (review.js, `data-needs`).
 * @param {string} verdict "approve" | "reject" @param {string[]} args @param {Here} here
 * @returns {Piece[] | undefined}
 */
function reviewAction(verdict, args, here) {
  const id = args[0] === "ID" ? here.jobId : args[0];
  if (id === undefined || /^[A-Z_]+$/.test(id)) return undefined;
  const button = verdict === "approve" ? "Approve" : "Reject";
  if (here.onJobPage && id === here.jobId) {
    if (here.mayAct === false) return [{ text: `${OPERATORS}${button} in the review card` }];
    return [{ text: "the " }, { text: button, control: true }, { text: " button in the review card below" }];
  }
  const whose = id === here.jobId ? "its" : `${id}'s`;
  return [
    ...(here.mayAct === false ? [{ text: OPERATORS }] : []),
    link(`#/jobs/${encodeURIComponent(id)}`, `${button} in the review card on ${whose} page`),
  ];
}

/**
 * A control on another page, `words` linking to it (`href`): said as an operator's to a role that may not use it, and
 * not linked when the page is one only an operator may open (`operatorsPage`: its nav link is not drawn either).
 * @param {string} href @param {string} words @param {Here} here @param {boolean} [operatorsPage]
 * @returns {Piece[]}
 */
function control(href, words, here, operatorsPage = false) {
  if (here.mayAct !== false) return [link(href, words)];
  return operatorsPage ? [{ text: `${OPERATORS}${words}` }] : [{ text: OPERATORS }, link(href, words)];
}

/**
 * The dashboard's words for one CLI command (its words after `gigafactory `), undefined when it has no control for it.
 * @param {string} command "requeue job_1", "serial unfreeze deploy", "budget set month CEILING_USD", …
 * @param {Here} [here]
 * @returns {Piece[] | undefined}
 */
export function commandHere(command, here = {}) {
  const [verb = "", ...args] = command.trim().split(/\s+/);
  if (JOB_ACTIONS.includes(verb)) return jobAction(verb, args, here);
  if (verb === "review" && (args[0] === "approve" || args[0] === "reject")) {
    return reviewAction(args[0], args.slice(1), here);
  }
  const words = `${verb} ${args[0] ?? ""}`.trim();
  if (words === "serial unfreeze") return control("#/jobs", "Unfreeze in the Jobs page's serial gates", here);
  if (words === "factory approve") return control("#/fleet", "Approve on the Fleet page", here);
  if (words === "factory release") return control("#/fleet", "Release on the Fleet page", here);
  if (words === "factory breaker-reset") return control("#/fleet", "Reset breaker on the Fleet page", here);
  if (words === "jobs") return [link("#/jobs", "the Jobs page")];
  if (words === "factories") return [link("#/fleet", "the Fleet page")];
  if (words === "budget") return [link("#/budget", "the Budget page")];
  if (words === "budget resume") return control("#/budget", "Resume on the Budget page", here);
  if (words === "budget pause") return control("#/budget", "Pause on the Budget page", here);
  if (words === "budget set") return control("#/budget", "Set budget on the Budget page", here);
  const overflow = words === "settings set" ? /^overflow=(\w+)$/.exec(args[1] ?? "") : null;
  if (overflow) return control("#/settings", `Overflow: ${overflow[1]} on the Settings page`, here);
  if (words === "enrollment-codes") return control("#/enrollment", "Revoke on the Enrollment page", here, true);
  if (words === "dead-letters") return control("#/dead-letters", "Redrive on the Dead letters page", here, true);
  return undefined;
}

/**
 * The words of one command found by COMMAND (`m`) for a reader who may act or not (`here.mayAct`), undefined when the
 * dashboard has no control for it: "run " said as "press ", or whom to ask.
 * @param {RegExpMatchArray} m @param {Here} here @returns {Piece[] | undefined}
 */
function commandSaid(m, here) {
  const said = commandHere(m[2] ?? m[3] ?? m[4] ?? "", here);
  if (!said || !m[1]) return said;
  if (here.mayAct !== false) return [{ text: "press " }, ...said];
  return [{ text: "ask an operator for " }, ...(said[0]?.text === OPERATORS ? said.slice(1) : said)];
}

/**
 * The server's words cut at each command the dashboard has a control for: text, and each command said both ways —
 * `able` to a role that may use the control, `lacking` to one that may not (the same pieces when no role is needed).
 * @param {string} text @param {Here} here
 * @returns {Array<{ text: string } | { able: Piece[], lacking: Piece[] }>}
 */
function commandSpans(text, here) {
  /** @type {Array<{ text: string } | { able: Piece[], lacking: Piece[] }>} */
  const spans = [];
  let at = 0;
  for (const m of text.matchAll(COMMAND)) {
    const able = commandSaid(m, { ...here, mayAct: true });
    const lacking = commandSaid(m, { ...here, mayAct: false });
    if (!able || !lacking) continue;
    spans.push({ text: text.slice(at, m.index) }, { able, lacking });
    at = (m.index ?? 0) + m[0].length;
  }
  spans.push({ text: text.slice(at) });
  return spans;
}

/**
 * A server's words with each command the dashboard has a control for said as that control (`commandHere`); words
 * with no such command come back as one piece. Said for `here.mayAct`, else for the page's role mark as it is now.
 * @param {string} text @param {Here} [here]
 * @returns {Piece[]}
 */
export function commandPieces(text, here = {}) {
  const mayAct = here.mayAct ?? mayActNow();
  return commandSpans(text, here)
    .flatMap((s) => ("text" in s ? [s] : mayAct ? s.able : s.lacking))
    .filter((p) => p.text !== "");
}

/** `commandPieces` as plain text, for a title or a tooltip. @param {string} text @param {Here} [here] */
export const commandText = (text, here = {}) =>
  commandPieces(text, here)
    .map((p) => p.text)
    .join("");

/** One piece for h(): text, a link, or a job page's button name in bold. @param {Piece} p */
const part = (p) =>
  p.href
    ? h("a", { href: p.href, class: "command-here" }, p.text)
    : p.control
      ? h("b", { class: "command-here" }, p.text)
      : p.text;

/**
 * `commandPieces` as children for h(): text, the links, and the job page's button names in bold. Unless `here.mayAct`
 * says whom for, a command whose control needs an operator is drawn both ways, each marked for the role it is for
 * (`data-needs`, `data-lacks`: style.css shows the one the page's role mark calls for), so the words follow the role
 * as the controls do when it is told after they were drawn — no page is drawn again for it (app.js).
 * @param {string} text @param {Here} [here]
 * @returns {Array<Node | string>}
 */
export function commandParts(text, here = {}) {
  if (here.mayAct !== undefined) return commandPieces(text, here).map(part);
  return commandSpans(text, here).flatMap((s) => {
    if ("text" in s) return s.text === "" ? [] : [s.text];
    if (JSON.stringify(s.able) === JSON.stringify(s.lacking)) return s.able.map(part);
    return [
      h("span", { "data-needs": "operator" }, ...s.able.map(part)),
      h("span", { "data-lacks": "operator" }, ...s.lacking.map(part)),
    ];
  });
}
