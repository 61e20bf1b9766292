/**
 * @module dashboard/command-words
 * The CLI commands the server's words name (a waiting reason's message, an alert's), said as the dashboard's own
 * button or page where it has one for the same thing: "`gigafactory requeue job_1` runs it again" beside the job's
 * requeue button sent an operator to a terminal for a click. A job's actions (requeue, cancel, ship, reject) are the
 * action bar's on the job's own page ("the requeue button below"), a link to that page elsewhere; a serial key's
 * Unfreeze is the Jobs page's, a factory's Approve and Release and the fleet's last-seen times the Fleet page's, the
 * budget's Resume and Set budget the Budget page's, the overflow policy the Settings page's, a dead letter's Redrive
 * the Dead letters page's, an enrollment code's Revoke the Enrollment page's. A command the dashboard has no control for (`gigafactory children ID FILE.json`,
 * `gigafactory enroll NAME`, `gigafactory-agent run` on a host) stays as the server wrote it. The words are mapped
 * here, not in the API: the CLI shows the same reasons, and commands are its words.
 */

import { h } from "./dom.js";

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
 * page, whose action bar sits below them.
 * @typedef {{ jobId?: string, onJobPage?: boolean }} Here
 */

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
    const box = raise ? " with a higher Job budget $" : "";
    return [{ text: "the " }, { text: verb, control: true }, { text: ` button below${box}` }];
  }
  const whose = id === here.jobId ? "its" : `${id}'s`;
  return [
    link(`#/jobs/${encodeURIComponent(id)}`, `${verb}${raise ? " with a higher job budget" : ""} on ${whose} page`),
  ];
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
  const words = `${verb} ${args[0] ?? ""}`.trim();
  if (words === "serial unfreeze") return [link("#/jobs", "Unfreeze in the Jobs page's serial gates")];
  if (words === "factory approve") return [link("#/fleet", "Approve on the Fleet page")];
  if (words === "factory release") return [link("#/fleet", "Release on the Fleet page")];
  if (words === "jobs") return [link("#/jobs", "the Jobs page")];
  if (words === "factories") return [link("#/fleet", "the Fleet page")];
  if (words === "budget") return [link("#/budget", "the Budget page")];
  if (words === "budget resume") return [link("#/budget", "Resume on the Budget page")];
  if (words === "budget pause") return [link("#/budget", "Pause on the Budget page")];
  if (words === "budget set") return [link("#/budget", "Set budget on the Budget page")];
  const overflow = words === "settings set" ? /^overflow=(\w+)$/.exec(args[1] ?? "") : null;
  if (overflow) return [link("#/settings", `Overflow: ${overflow[1]} on the Settings page`)];
  if (words === "enrollment-codes") return [link("#/enrollment", "Revoke on the Enrollment page")];
  if (words === "dead-letters") return [link("#/dead-letters", "Redrive on the Dead letters page")];
  return undefined;
}

/**
 * A server's words with each command the dashboard has a control for said as that control (`commandHere`); words
 * with no such command come back as one piece.
 * @param {string} text @param {Here} [here]
 * @returns {Piece[]}
 */
export function commandPieces(text, here = {}) {
  /** @type {Piece[]} */
  const pieces = [];
  let at = 0;
  for (const m of text.matchAll(COMMAND)) {
    const said = commandHere(m[2] ?? m[3] ?? m[4] ?? "", here);
    if (!said) continue;
    pieces.push({ text: text.slice(at, m.index) }, ...(m[1] ? [{ text: "press " }] : []), ...said);
    at = m.index + m[0].length;
  }
  pieces.push({ text: text.slice(at) });
  return pieces.filter((p) => p.text !== "");
}

/** `commandPieces` as plain text, for a title or a tooltip. @param {string} text @param {Here} [here] */
export const commandText = (text, here = {}) =>
  commandPieces(text, here)
    .map((p) => p.text)
    .join("");

/**
 * `commandPieces` as children for h(): text, the links, and the job page's button names in bold.
 * @param {string} text @param {Here} [here]
 * @returns {Array<Node | string>}
 */
export const commandParts = (text, here = {}) =>
  commandPieces(text, here).map((p) =>
    p.href
      ? h("a", { href: p.href, class: "command-here" }, p.text)
      : p.control
        ? h("b", { class: "command-here" }, p.text)
        : p.text,
  );
