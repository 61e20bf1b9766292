/**
 * @module cli/arm-policy-text
 * An experiment arm's routing policy as `routing experiment show|stop` prints it under POLICY: `prefer demo-gpu ·
 * avoid box (fac_b) for engine codex · weights cost=0.5`, each rule's factory named as `routing rules` names it
 * (cli/factory-names). It printed the policy's JSON, `{"rules":[{"factoryId":"fac_0mxc6m72…","effect":"prefer"}]}`.
 * A policy of another shape (a newer coordinator's) is shown as its JSON; an empty one as the product's own routing.
 */
import type { FactoryNamer } from "./event-text.ts";
import { type FleetClient, factoryNames } from "./factory-names.ts";

type Rule = { factoryId: string; effect: string; engine?: string };
type Policy = { rules?: Rule[]; weights?: Record<string, number> };

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const isRule = (r: unknown): r is Rule =>
  isRecord(r) &&
  typeof r.factoryId === "string" &&
  typeof r.effect === "string" &&
  (r.engine === undefined || typeof r.engine === "string") &&
  Object.keys(r).every((k) => k === "factoryId" || k === "effect" || k === "engine");

/** `policy` when it is the shape this CLI reads (core/experiment ArmPolicy), else undefined. */
function known(policy: unknown): Policy | undefined {
  if (!isRecord(policy) || !Object.keys(policy).every((k) => k === "rules" || k === "weights")) return undefined;
  const { rules, weights } = policy;
  if (rules !== undefined && !(Array.isArray(rules) && rules.every(isRule))) return undefined;
  if (weights !== undefined && !(isRecord(weights) && Object.values(weights).every((w) => typeof w === "number")))
    return undefined;
  return policy as Policy;
}

/** The factory ids an arm's policy's rules name (none for a policy of another shape): what the fleet is read for. */
export function armFactoryIds(policy: unknown): string[] {
  return known(policy)?.rules?.map((r) => r.factoryId) ?? [];
}

/** One arm's policy as words; see the module. */
export function armPolicyText(policy: unknown, named: FactoryNamer = (id) => id): string {
  const p = known(policy);
  if (p === undefined) {
    try {
      return JSON.stringify(policy) ?? String(policy);
    } catch {
      return "…"; // nested past JSON.stringify's recursion: the answer's own, never a CLI bug
    }
  }
  const said = (p.rules ?? []).map(
    (r) => `${r.effect} ${named(r.factoryId)}${r.engine === undefined ? "" : ` for engine ${r.engine}`}`,
  );
  const weights = Object.entries(p.weights ?? {});
  if (weights.length > 0) said.push(`weights ${weights.map(([k, w]) => `${k}=${w}`).join(" ")}`);
  return said.length > 0 ? said.join(" · ") : "the product's routing";
}

/** The fleet's names for the experiments' arms' rules (cli/factory-names), read only when a rule names a factory. */
export async function armNames(
  client: FleetClient,
  experiments: ReadonlyArray<{ arms: { A: { policy: unknown }; B: { policy: unknown } } }>,
  waitMs: number,
): Promise<Map<string, string>> {
  const ids = experiments.flatMap(({ arms }) => [...armFactoryIds(arms.A.policy), ...armFactoryIds(arms.B.policy)]);
  return ids.length > 0 ? await factoryNames(client, waitMs) : new Map();
}
