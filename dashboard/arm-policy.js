/**
 * @module dashboard/arm-policy
 * An experiment arm's routing policy in words, word for word as `gigafactory routing experiment show` says it
 * (cli/arm-policy-text): `prefer host-a · avoid box for engine codex · weights load=3`, each rule's factory by name
 * (factory-label.js); "the product's routing" for an arm with no policy of its own; a policy of another shape as its
 * JSON. The routing page printed every arm as its JSON, factory ids and all, beside a CLI that said it in words.
 */

/** @param {unknown} v @returns {v is Record<string, unknown>} */
const isRecord = (v) => typeof v === "object" && v !== null && !Array.isArray(v);

/** @param {unknown} r */
const isRule = (r) =>
  isRecord(r) &&
  typeof r.factoryId === "string" &&
  typeof r.effect === "string" &&
  (r.engine === undefined || typeof r.engine === "string") &&
  Object.keys(r).every((k) => k === "factoryId" || k === "effect" || k === "engine");

/**
 * The policy when it has the shape this page reads (core/experiment ArmPolicy), else undefined.
 * @param {unknown} policy
 * @returns {{ rules?: Array<{ factoryId: string, effect: string, engine?: string }>, weights?: Record<string, number> } | undefined}
 */
function known(policy) {
  if (!isRecord(policy) || !Object.keys(policy).every((k) => k === "rules" || k === "weights")) return undefined;
  const { rules, weights } = policy;
  if (rules !== undefined && !(Array.isArray(rules) && rules.every(isRule))) return undefined;
  if (weights !== undefined && !(isRecord(weights) && Object.values(weights).every((w) => typeof w === "number")))
    return undefined;
  return /** @type {any} */ (policy);
}

/**
 * @param {unknown} policy an arm's `policy` (GET …/routing/experiments)
 * @param {(id: string) => string} [named] a factory's name by id (live.js `factoryName`); the id itself by default
 * @returns {string}
 */
export function armPolicyText(policy, named = (id) => id) {
  const p = known(policy);
  if (p === undefined) {
    try {
      return JSON.stringify(policy) ?? String(policy);
    } catch {
      return "…";
    }
  }
  const said = (p.rules ?? []).map(
    (r) => `${r.effect} ${named(r.factoryId)}${r.engine === undefined ? "" : ` for engine ${r.engine}`}`,
  );
  const weights = Object.entries(p.weights ?? {});
  if (weights.length > 0) said.push(`weights ${weights.map(([k, w]) => `${k}=${w}`).join(" ")}`);
  return said.length > 0 ? said.join(" · ") : "the product's routing";
}
