/**
 * @module dashboard/settings-fields
 * The settings page's number fields and what a Save sends (settings.js draws them): each field's path in the settings
 * record, label, input bounds (core/settings' SettingsPatchSchema's) and help; and the PATCH body, only what changed.
 */
import { ROUTER_TERMS } from "./router-terms.js";
import { HEALTH_GROUPS, numberField } from "./settings-health.js";

/**
 * The editable number fields: `path` in the settings record, label, input attributes (bounds as core/settings'
 * SettingsPatchSchema validates them), help. One weight per router term (router-terms.js), so none is left out.
 * @type {Array<{ path: string, label: string, attrs: Record<string, string>, help: string }>}
 */
export const FIELDS = [
  numberField(
    "leaseTtlSeconds",
    "Lease TTL (s)",
    ["5", "3600", "1"],
    "How long a silent factory keeps a job before it is requeued. A manifest's own leaseTtlSeconds wins.",
  ),
  numberField(
    "agingHorizonMinutes",
    "Aging horizon (min)",
    ["1", "10080", "1"],
    "After this long in the queue a job's starvation penalty is gone.",
  ),
  numberField(
    "retry.baseSeconds",
    "Retry base (s)",
    ["0", "86400", "any"],
    "Delay before the first automatic retry; doubles on each further attempt.",
  ),
  numberField("retry.maxSeconds", "Retry cap (s)", ["0", "604800", "any"], "No retry waits longer than this."),
  numberField(
    "retry.jitter",
    "Retry jitter (0–1)",
    ["0", "1", "0.05"],
    "Each delay is drawn from [(1 − jitter)·d, d], so a burst of failures does not retry in step.",
  ),
  ...ROUTER_TERMS.map((t) => numberField(`weights.${t.term}`, `Weight: ${t.term}`, ["0", "100", "any"], t.weightHelp)),
];
/** Where the issue 9 fields start in FIELDS: the fieldsets above slice by index. */
export const HEALTH_START = FIELDS.length;
FIELDS.push(...HEALTH_GROUPS.flatMap((g) => g.fields));

/** @param {any} obj @param {string} path */
export const read = (obj, path) => path.split(".").reduce((o, k) => (o == null ? undefined : o[k]), obj);

/**
 * Only what differs from `current`, nested as the API wants it: `{retry: {jitter: 0.2}}`.
 * @param {any} current the settings as loaded
 * @param {Map<string, unknown>} values path → the form's value
 */
export function patchFrom(current, values) {
  /** @type {Record<string, any>} */
  const patch = {};
  for (const [path, value] of values) {
    if (read(current, path) === value) continue;
    const [head, leaf] = path.split(".");
    if (leaf === undefined) patch[head] = value;
    else patch[head] = { ...(patch[head] ?? {}), [leaf]: value };
  }
  return patch;
}
