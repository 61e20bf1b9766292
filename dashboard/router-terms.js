// router-terms.js — the router's score terms (src/core/router.ts TERMS, SPEC §5) in their order: what each measures
// (the explain panel's row tooltips) and what its weight does (the settings page's weight fields). The one list the
// dashboard keeps of them, so a term the router gains shows up in both places at once; a unit test holds it equal to
// the server's weights schema (core/settings WeightsPatchSchema).

/**
 * Each term: `measures` what its raw value is, `weightHelp` what its weight does to a score.
 * @type {ReadonlyArray<{ term: string, measures: string, weightHelp: string }>}
 */
export const ROUTER_TERMS = [
  {
    term: "capabilityFit",
    measures: "tight fit of the factory's capabilities to the job's requirements",
    weightHelp: "Added: how much a host with just what the job needs beats one with much more.",
  },
  {
    term: "affinity",
    measures: "share of the job's preferred capabilities the factory has",
    weightHelp: "Added: how much a job's preferred capabilities count.",
  },
  {
    term: "load",
    measures: "1 / (1 + jobs the factory already holds)",
    weightHelp: "Added: how strongly work spreads to idle hosts.",
  },
  {
    term: "costFit",
    measures: "how well the factory's cost tier suits the job's USD budget",
    weightHelp: "Added: how much a host's cost tier must suit the job's budget.",
  },
  {
    term: "health",
    measures: "1 ok, 0.5 degraded (late heartbeats, or leases let expire again and again)",
    weightHelp: "Added: how much a degraded host is passed over.",
  },
  {
    term: "starvation",
    measures: "penalty for a freshly queued job, fading to 0 as it waits (subtracted)",
    weightHelp:
      "Subtracted: how strongly waiting reorders the queue. Above 2, a low job overtakes a steady stream of fresh high ones within 2 × horizon ÷ weight minutes; at 2 or less it may wait forever.",
  },
  {
    term: "track",
    measures:
      "learned from outcomes: expected success per dollar (or minute) against the median candidate; 0.5 is neutral",
    weightHelp:
      "Added as weight × (track − 0.5): at 1 a host's learned record moves its score by at most ±0.5, a tie-breaker; 0 turns learned routing off.",
  },
];

/** What each term measures, by name (the explain panel's tooltips). */
export const TERM_HELP = Object.freeze(Object.fromEntries(ROUTER_TERMS.map((t) => [t.term, t.measures])));
