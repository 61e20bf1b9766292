/**
 * @module core/filter-words
 * The router's refusal codes (core/route-filter `filterReasons`: `factory_disconnected`, `missing_capability:cuda`…)
 * in words, as `explain ID` prints a rejected factory: the codes were printed raw, and a newcomer read
 * `factory_disconnected, no_free_seat` with nothing to say what either meant or when the link went. The dashboard's
 * explain panel says the same words (dashboard/filter-words.js, held to this file by a unit test). Pure.
 */

/** How a lost lease reads (core/exclusions `LOSS_KINDS`): what happened, not the host's doing. */
const LOSS: Readonly<Record<string, string>> = {
  expired: "its lease expired",
  released: "it handed the job back",
  rejected: "it refused the job",
};

/** Plain codes (no `:value`) in words. */
const PLAIN: Readonly<Record<string, string>> = {
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
 * One refusal `code` in words. `lostAgo`: for `factory_disconnected`, how long ago its link ended, in the caller's
 * words ("20 s ago"; undefined when no end was seen, e.g. lost with a coordinator restart). An unknown code is
 * said as it is: a newer coordinator's code is still shown.
 */
export function filterWords(code: string, lostAgo?: string): string {
  if (code === "factory_disconnected") {
    return `link lost${lostAgo === undefined ? "" : ` ${lostAgo}`} (its heartbeats still say up)`;
  }
  // Own keys only: a code `constructor` read Object's.
  if (Object.hasOwn(PLAIN, code)) return PLAIN[code] ?? code;
  const at = code.indexOf(":");
  const [kind, value] = at < 0 ? [code, ""] : [code.slice(0, at), code.slice(at + 1)];
  if (kind === "missing_capability") return `lacks ${value}`;
  if (kind === "breaker_open") return `its circuit breaker for ${value} is open`;
  if (kind === "overflow_hold") return `held: another factory's breaker for ${value} is open (overflow: hold)`;
  if (kind === "excluded") return `kept from this job: ${(Object.hasOwn(LOSS, value) ? LOSS[value] : value) ?? value}`;
  return code;
}
