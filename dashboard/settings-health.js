// settings-health.js — the issue 9 and 11 parts of the settings form (dashboard/settings.js): overflow (route|hold),
// the circuit breaker, the error budget, the alert thresholds and learned routing (objective, minimum runs). Plain number inputs like the rest of the form, with
// the same id scheme (`setting-<path with - for .>`), so a browser test finds each by id.

/**
 * The number fields, by fieldset. Bounds mirror core/settings' SettingsPatchSchema (the server still decides).
 * @type {Array<{ legend: string, fields: Array<{ path: string, label: string, attrs: Record<string, string>, help: string }> }>}
 */
export const HEALTH_GROUPS = [
  {
    legend: "Circuit breakers",
    fields: [
      {
        path: "breaker.failureThreshold",
        label: "Failures to open",
        attrs: { min: "1", max: "1000", step: "1" },
        help: "Consecutive failed runs of one engine on one factory that open its breaker.",
      },
      {
        path: "breaker.coolDownSeconds",
        label: "Cool-down (s)",
        attrs: { min: "1", max: "86400", step: "1" },
        help: "How long an open breaker waits before letting one trial job through; doubles on each failed trial.",
      },
      {
        path: "breaker.maxCoolDownSeconds",
        label: "Cool-down cap (s)",
        attrs: { min: "1", max: "604800", step: "1" },
        help: "The doubling stops here.",
      },
    ],
  },
  {
    legend: "Error budget (quarantine)",
    fields: [
      {
        path: "errorBudget.windowMinutes",
        label: "Window (min)",
        attrs: { min: "1", max: "10080", step: "1" },
        help: "The sliding window failed runs are counted in, per factory.",
      },
      {
        path: "errorBudget.maxFailures",
        label: "Failures allowed",
        attrs: { min: "1", max: "100000", step: "1" },
        help: "One more failed run than this within the window quarantines the factory until an operator releases it.",
      },
    ],
  },
  {
    legend: "Alert thresholds",
    fields: [
      {
        path: "health.stuckAfterMinutes",
        label: "Stuck after (min)",
        attrs: { min: "0.05", max: "10080", step: "any" },
        help: "A building job with no event for this long raises a stuck alert.",
      },
      {
        path: "health.starvingAfterMinutes",
        label: "Starving after (min)",
        attrs: { min: "0.05", max: "10080", step: "any" },
        help: "A job waiting this long raises a starving alert with its waiting reason; a retry waits from the end of its backoff.",
      },
      {
        path: "health.expectedFinishIntervalMinutes",
        label: "Expected ship interval (min)",
        attrs: { min: "0.05", max: "10080", step: "any" },
        // "shipped", as the coordinator says it: a job built and waiting in testing (or review) has not shipped.
        help: "The product is stalled when no job shipped for twice this while work waits (a job built and waiting in review or testing has not shipped); a job in retry backoff waits from its end.",
      },
    ],
  },
  {
    legend: "Learned routing",
    fields: [
      {
        path: "routing.minSamples",
        label: "Runs before a record counts",
        attrs: { min: "1", max: "10000", step: "1" },
        help: "Below this many runs of a factory × engine × job class, its track term is neutral: no cold-start penalty.",
      },
    ],
  },
];

/** What the learned `track` term optimises (settings routing.objective, issue 11). */
export const OBJECTIVE_CHOICES = [
  { value: "success_per_usd", label: "Success per dollar" },
  { value: "success_per_minute", label: "Success per minute" },
];

/** The overflow choices, as the select offers them. */
export const OVERFLOW_CHOICES = [
  { value: "route", label: "Route: send the job to another factory or engine that fits" },
  { value: "hold", label: "Hold: the job waits (breaker_open) until the breaker closes" },
];
