/**
 * @module dashboard/card-answers
 * What a fleet card's button was answered (a quarantine's Release: fleet-breakers.js; a breaker's Reset:
 * breaker-reset.js), kept per factory across the cards' redraws for as long as it is true. The cards are drawn anew on
 * every tick, so the line saying an answer must be drawn again from here; it was carried by its element id into
 * whatever card came next instead — a factory quarantined again showed "Released: back in rotation." under an armed
 * Release, a refusal stayed after another operator released the factory. Each answer names the state it is about
 * (`state`: "active" after a release; "" for "Releasing…", true whatever the list says) and is dropped at the first
 * list read after it that shows the factory otherwise; a list read before the answer (a failed re-read leaves the old
 * one) cannot say it is over.
 */

/** @typedef {{ text: string, error: boolean, state: string, about: string, at: number }} Answer */

/**
 * A store of answers by factory id.
 * @returns {{
 *   say: (id: string, text: string, opts?: { error?: boolean, state?: string, about?: string }) => void,
 *   shown: (id: string, state: string | ((a: Answer) => string), readAt: number) => Answer | null,
 *   forget: () => void,
 * }}
 */
export function cardAnswers() {
  /** @type {Map<string, Answer>} */
  const kept = new Map();
  return {
    /**
     * Keeps `text` for factory `id`: an error (drawn red) when `error`, true while the factory is in `state` ("" for
     * any state: an answer awaited); `about`: which part of the factory (a breaker's engine). Its time is now (epoch
     * ms), against the list reads that follow.
     */
    say(id, text, { error = false, state = "", about = "" } = {}) {
      kept.set(id, { text, error, state, about, at: Date.now() });
    },
    /**
     * The answer to draw for factory `id`, which a list read at `readAt` (epoch ms; live.factoriesAt) shows in
     * `state` (or the state of what the answer is `about`, as a function of it); null — and forgotten — when that read
     * came after the answer and shows another state.
     */
    shown(id, state, readAt) {
      const a = kept.get(id);
      if (!a) return null;
      if (a.state === "" || a.state === (typeof state === "function" ? state(a) : state) || readAt < a.at) return a;
      kept.delete(id);
      return null;
    },
    /** Forgets every answer: the fleet page is left, and what it said is not said again on the way back. */
    forget() {
      kept.clear();
    },
  };
}
