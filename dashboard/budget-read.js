/**
 * @module dashboard/budget-read
 * How the budget page reads the budget without a failed request when none is set. One once set is never removed
 * (there is no DELETE), so once the page has read one it reads GET …/budget alone. Before, it asks the metrics
 * document, whose `budget` is there only when one is set: GET …/budget says "none" with a 404 (its contract: the CLI
 * and scripts rely on it), which Chrome logged as a failed resource on every visit of a product without one. A budget
 * set between the two reads still meets the 404 (budget.js says "none" for it). The document is cheap: ~0.7 KB, ~2 ms
 * locally at 150 and 5,000 jobs (the 404 ~1.6 ms; it grows with factories).
 */

import { maybe, opt } from "./answer-shape.js";
import { BUDGET } from "./answers.js";
import { api } from "./api.js";

/** Of `GET …/metrics?format=json`, only whether a budget is set (its `budget` is absent when none is). */
const HAS_BUDGET = { budget: opt({ state: "string" }) };

/** Of `GET …/settings`, only whether dispatch is paused: with no budget set, an operator's pause alone. */
const PAUSED = { budgetPaused: maybe("boolean") };

/**
 * @param {import("./api.js").Session} session
 * @returns {{ read: () => Promise<any>, saw: () => void }} `read`: the budget, or `{ budget: null, pausedBy? }` when
 *   none is set — `pausedBy: "operator"` while an operator's pause set without one is in force (an emergency stop
 *   needs no ceiling: the page offers Pause and Resume all the same) — (throws the api.js ApiError of a failed
 *   read); `saw`: a budget was read or set on this page, so the next reads skip the metrics document
 */
export function budgetReader(session) {
  let seen = false;
  return {
    read: async () => {
      if (!seen && !(await api(session, "/metrics?format=json", { answer: HAS_BUDGET })).budget) {
        const paused = (await api(session, "/settings", { answer: PAUSED })).budgetPaused === true;
        return { budget: null, ...(paused ? { pausedBy: "operator" } : {}) };
      }
      return api(session, "/budget", { answer: BUDGET });
    },
    saw: () => {
      seen = true;
    },
  };
}
