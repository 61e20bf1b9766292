// filter-words.js — the router's refusal codes (`factory_disconnected`, `missing_capability:cuda`…) in words, for
// the explain panel's filtered-out factories: the same words as src/core/filter-words.ts (the CLI's `explain ID`),
// held to it by test/unit/filter-words.test.ts. The chips showed the raw codes.

import { ago, h } from "./dom.js";

/** How a lost lease reads: what happened, not the host's doing. @type {Record<string, string>} */
const LOSS = {
  expired: "its lease expired",
  released: "it handed the job back",
  rejected: "it refused the job",
};

/** Plain codes (no `:value`) in words. @type {Record<string, string>} */
const PLAIN = {
  factory_down: "down: no heartbeat for 3 intervals",
  factory_left: "left: drained and stopped on purpose",
  factory_draining: "draining: takes no new work",
  factory_quarantined: "quarantined: out of service until an operator releases it",
  factory_revoked: "revoked",
  no_free_seat: "every seat busy",
  serial_gate_closed: "its serial key is held or frozen",
  budget_paused: "the product's budget is paused",
};

/**
 * One refusal code in words; `lostAgo` ("20 s ago") for `factory_disconnected` when its link's end is known. An
 * unknown code is said as it is.
 * @param {string} code @param {string} [lostAgo]
 * @returns {string}
 */
export function filterWords(code, lostAgo) {
  if (code === "factory_disconnected") {
    return `link lost${lostAgo === undefined ? "" : ` ${lostAgo}`} (its heartbeats still say up)`;
  }
  if (Object.hasOwn(PLAIN, code)) return PLAIN[code] ?? code;
  const at = code.indexOf(":");
  const [kind, value] = at < 0 ? [code, ""] : [code.slice(0, at), code.slice(at + 1)];
  if (kind === "missing_capability") return `lacks ${value}`;
  if (kind === "breaker_open") return `its circuit breaker for ${value} is open`;
  if (kind === "overflow_hold") return `held: another factory's breaker for ${value} is open (overflow: hold)`;
  if (kind === "excluded") return `kept from this job: ${(Object.hasOwn(LOSS, value) ? LOSS[value] : value) ?? value}`;
  return code;
}

/**
 * A refusal as a chip: its words (`filterWords`, as the CLI's `explain ID`; a lost link with how long ago), the code
 * kept as the chip's title and `data-reason` — the chips showed the raw codes.
 * @param {any} c a rejected Candidate @param {string} r its code
 */
export const reasonChip = (c, r) => {
  const lost = r === "factory_disconnected" && typeof c.disconnectedAt === "number" ? ago(c.disconnectedAt) : undefined;
  return h("li", { title: r, dataset: { reason: r } }, filterWords(r, lost));
};
