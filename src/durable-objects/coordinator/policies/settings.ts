/**
 * @module durable-objects/coordinator/policies/settings
 * UPDATE SETTINGS — contract:
 *   inputs: a validated `SettingsPatch` (core/settings), the operator, `now`.
 *   guard:  the merged record is consistent (`applySettingsPatch`: `retry.maxSeconds` ≥ `retry.baseSeconds`),
 *           else `400 validation_failed` and nothing is written; new weights leave every running experiment's arms
 *           routing differently, else `409 conflict` naming it and nothing is written.
 *   output: the new settings saved in `meta`; a `settings.update` audit record naming the changed keys with
 *           their old and new values; the queue version bumped (weights, aging, TTL and preemption change what
 *           a dispatch pass decides, so one runs); a changed `health` threshold makes a health pass due now (the
 *           alarm runs it, policies/health-deadline); whether connected factories must be told (the lease TTL).
 * A patch that changes nothing writes nothing: no audit record, no dispatch pass.
 */
import { DomainError } from "../../../core/errors.ts";
import {
  applySettingsPatch,
  changesFactoryContract,
  grantedLeaseTtl,
  type ProductSettings,
  type SettingsPatch,
} from "../../../core/settings.ts";
import { attachmentOf, send } from "../factories/sockets.ts";
import { enqueueAudit } from "../outbox/records.ts";
import { bumpQueueVersion, saveSettings, settingsToChange } from "../runtime/meta.ts";
import type { Tx } from "../runtime/tx.ts";
import { setNextHealthAt } from "./health-deadline.ts";
import { assertRunningArmsDiffer } from "./routing-changes.ts";

export interface SettingsUpdate {
  settings: ProductSettings;
  /** Dotted keys whose value changed (`preemption`, `weights.load`, `retry.baseSeconds`, …), sorted. */
  changed: string[];
  /** The change alters what connected factories do (core/settings `changesFactoryContract`): tell them. */
  announce: boolean;
}

type Leaves = Record<string, unknown>;

/** `{weights: {load: 1}}` → `{"weights.load": 1}`; arrays and scalars are leaves. */
function leaves(value: object, prefix = ""): Leaves {
  const out: Leaves = {};
  for (const [k, v] of Object.entries(value)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v !== null && typeof v === "object" && !Array.isArray(v)) Object.assign(out, leaves(v, key));
    else out[key] = v;
  }
  return out;
}

/** The dotted keys whose value differs between two records, each with its old and new value. */
export function diffSettings(
  before: ProductSettings,
  after: ProductSettings,
): Record<string, { from: unknown; to: unknown }> {
  const a = leaves(before);
  const b = leaves(after);
  const out: Record<string, { from: unknown; to: unknown }> = {};
  for (const key of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
    if (JSON.stringify(a[key]) !== JSON.stringify(b[key])) out[key] = { from: a[key], to: b[key] };
  }
  return out;
}

/**
 * Merge `patch` into the product's settings, in the caller's unit.
 * @throws DomainError `validation_failed` — the merged record is inconsistent (the RangeError of `applySettingsPatch`).
 *   DomainError `conflict` — the new weights make a running experiment's two arms route alike.
 */
export function updateSettings(tx: Tx, patch: SettingsPatch, actor: string): SettingsUpdate {
  const before = settingsToChange(tx.sql);
  let after: ProductSettings;
  try {
    after = applySettingsPatch(before, patch);
  } catch (err) {
    if (!(err instanceof RangeError)) throw err;
    throw new DomainError("validation_failed", err.message, { patch });
  }
  const diff = diffSettings(before, after);
  const changed = Object.keys(diff);
  if (changed.length === 0) return { settings: before, changed, announce: false };
  if (changed.some((k) => k.startsWith("weights."))) assertRunningArmsDiffer(tx.sql, after.weights, "these weights");
  saveSettings(tx.sql, after);
  enqueueAudit(tx, actor, "settings.update", tx.productId, { changed, diff });
  bumpQueueVersion(tx.sql);
  // The next pass was noted by the old thresholds (up to a week ahead): without one now, a job already silent past a
  // lowered `stuckAfterMinutes` (or an alert a raised one clears) waited for the cron's next minute, or that week.
  if (changed.some((k) => k.startsWith("health."))) setNextHealthAt(tx.sql, tx.now);
  return { settings: after, changed, announce: changesFactoryContract(before, after) };
}

/**
 * After the commit: tell every greeted factory socket the lease TTL that now applies on it (the product's, or its
 * hello's if shorter), as a `settings` frame. Draining sockets too — they still renew the leases they hold.
 */
export function announceSettings(state: DurableObjectState, settings: ProductSettings): number {
  let told = 0;
  for (const ws of state.getWebSockets()) {
    const att = attachmentOf(ws);
    if (!att?.helloed || att.replaced) continue;
    const leaseTtlSeconds = grantedLeaseTtl(settings.leaseTtlSeconds, att.leaseTtlSeconds);
    if (send(ws, { type: "settings", leaseTtlSeconds })) told++;
  }
  return told;
}
