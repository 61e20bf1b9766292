// settings-health.js — the issue 9 and 11 parts of the settings form (dashboard/settings.js): overflow (route|hold),
// the circuit breaker, the error budget, the alert thresholds and learned routing (objective, minimum runs). Plain number inputs like the rest of the form, with
// the same id scheme (`setting-<path with - for .>`), so a browser test finds each by id.

/**
 * A number field of the settings form: `path` in the settings record (`breaker.coolDownSeconds`), its label, its
 * input's bounds `[min, max, step]` (as core/settings' SettingsPatchSchema validates them) and its help line.
 * @param {string} path @param {string} label @param {[string, string, string]} bounds @param {string} help
 * @returns {{ path: string, label: string, attrs: Record<string, string>, help: string }}
 */
export const numberField = (path, label, [min, max, step], help) => ({ path, label, attrs: { min, max, step }, help });

/**
 * The number fields, by fieldset. Bounds mirror core/settings' SettingsPatchSchema (the server still decides).
 * @type {Array<{ legend: string, fields: Array<{ path: string, label: string, attrs: Record<string, string>, help: string }> }>}
 */
export const HEALTH_GROUPS = [
  {
    legend: "Circuit breakers",
    fields: [
      numberField(
        "breaker.failureThreshold",
        "Failures to open",
        ["1", "1000", "1"],
        "Consecutive failed runs of one engine on one factory that open its breaker.",
      ),
      numberField(
        "breaker.coolDownSeconds",
        "Cool-down (s)",
        ["1", "86400", "1"],
        "How long an open breaker waits before letting one trial job through; doubles on each failed trial.",
      ),
      numberField("breaker.maxCoolDownSeconds", "Cool-down cap (s)", ["1", "604800", "1"], "The doubling stops here."),
    ],
  },
  {
    legend: "Error budget (quarantine)",
    fields: [
      numberField(
        "errorBudget.windowMinutes",
        "Window (min)",
        ["1", "10080", "1"],
        "The sliding window failed runs are counted in, per factory.",
      ),
      numberField(
        "errorBudget.maxFailures",
        "Failures allowed",
        ["1", "100000", "1"],
        "One more failed run than this within the window quarantines the factory until an operator releases it.",
      ),
    ],
  },
  {
    legend: "Alert thresholds",
    fields: [
      numberField(
        "health.stuckAfterMinutes",
        "Stuck after (min)",
        ["0.05", "10080", "any"],
        "A building job with no event for this long raises a stuck alert.",
      ),
      numberField(
        "health.starvingAfterMinutes",
        "Starving after (min)",
        ["0.05", "10080", "any"],
        "A job waiting this long raises a starving alert with its waiting reason; a retry waits from the end of its backoff.",
      ),
      // "shipped", as the coordinator says it: a job built and waiting in testing (or review) has not shipped.
      numberField(
        "health.expectedFinishIntervalMinutes",
        "Expected ship interval (min)",
        ["0.05", "10080", "any"],
        "The product is stalled when no job shipped for twice this while work waits (a job built and waiting in review or testing has not shipped); a job in retry backoff waits from its end.",
      ),
    ],
  },
  {
    legend: "Learned routing",
    fields: [
      numberField(
        "routing.minSamples",
        "Runs before a record counts",
        ["1", "10000", "1"],
        "Below this many runs of a factory × engine × job class, its track term is neutral: no cold-start penalty.",
      ),
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
  { value: "hold", label: "Hold: wait while a capable factory's breaker is open" },
];
