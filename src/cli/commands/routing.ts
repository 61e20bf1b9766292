/**
 * @module cli/commands/routing
 * Learned routing (issue 11): `gigafactory routing recs` lists the recommendations with their evidence; `routing
 * apply ID` turns one into an avoid rule (operator, audited); `routing rules` lists the rules in force; `routing
 * unapply RULE_ID` removes one; `routing rebuild` rebuilds the track records from the D1 history. `--json` prints
 * the API's documents. An unknown recommendation is `✘ ERROR not_found: … / run \`gigafactory routing recs\``.
 */
import type { Finding } from "../../core/recommendations.ts";
import type { RoutingRule } from "../../core/routing-rules.ts";
import { RuleIdParam } from "../../shared/api-routing.ts";
import type { GigafactoryClient } from "../../shared/http-client.ts";
import type { Command } from "../context.ts";
import { assertIdShape, CliError } from "../errors.ts";
import { renderTable } from "../table.ts";

type Recommendation = Finding & { appliedAs: string | null };

async function call<T>(client: GigafactoryClient, method: string, path: string, json?: unknown): Promise<T> {
  const res = await client.send(method, client.productUrl(path, {}), json === undefined ? {} : { json });
  return (await res.json()) as T;
}

/** The recommendations as a table: id, kind, applied rule (or -), the finding. */
export function formatRecs(recs: readonly Recommendation[]): string {
  if (recs.length === 0) return "no recommendations (not enough runs, or no real gap)";
  return renderTable(
    [{ header: "ID" }, { header: "KIND" }, { header: "APPLIED" }, { header: "FINDING", max: 140 }],
    recs.map((r) => [r.id, r.kind, r.appliedAs ?? "-", r.message]),
  );
}

/** The rules as a table: id, effect, factory, engine and class (`*` = any), reason. */
export function formatRules(rules: readonly RoutingRule[]): string {
  if (rules.length === 0) return "no routing rules";
  return renderTable(
    [
      { header: "ID" },
      { header: "EFFECT" },
      { header: "FACTORY" },
      { header: "ENGINE" },
      { header: "CLASS", max: 40 },
      { header: "REASON", max: 80 },
    ],
    rules.map((r) => [r.id, r.effect, r.factoryId, r.engine ?? "any", r.jobClass ?? "any", r.reason]),
  );
}

const recs = (client: GigafactoryClient) =>
  call<{ recommendations: Recommendation[] }>(client, "GET", "/routing/recommendations");

export const routingCommands: Command[] = [
  {
    path: ["routing", "recs"],
    args: { names: "", min: 0, max: 0 },
    summary: "what the track records say: hosts that fail or cost clearly more for a job class, with the numbers",
    options: {},
    async run(ctx) {
      const doc = await recs(ctx.client());
      if (ctx.json) ctx.emit(doc);
      else ctx.print(formatRecs(doc.recommendations));
      return 0;
    },
  },
  {
    path: ["routing", "apply"],
    args: { names: "ID", min: 1, max: 1 },
    summary: "apply a recommendation as an avoid rule (a score adjustment shown in explain; operator, audited)",
    options: {},
    async run(ctx) {
      const client = ctx.client();
      const id = ctx.positionals[0]!;
      const found = (await recs(client)).recommendations.find((r) => r.id === id);
      if (!found) {
        throw new CliError(
          "not_found",
          `no recommendation ${id} now`,
          "run `gigafactory routing recs` for the current ids",
        );
      }
      // Applying twice would stack a second rule that one `unapply` leaves in force: say where it is instead.
      if (found.appliedAs) {
        if (ctx.json) ctx.emit({ id: found.appliedAs, alreadyApplied: true });
        else ctx.print(`✔ ${id} is already applied as rule ${found.appliedAs} — nothing to do`);
        return 0;
      }
      const rule = await call<RoutingRule>(client, "POST", "/routing/rules", { ...found.rule, fromRecommendation: id });
      if (ctx.json) ctx.emit(rule);
      else
        ctx.print(
          `✔ applied ${id} as rule ${rule.id}: ${rule.effect} ${rule.factoryId} — undo with \`gigafactory routing unapply ${rule.id}\``,
        );
      return 0;
    },
  },
  {
    path: ["routing", "rules"],
    args: { names: "", min: 0, max: 0 },
    summary: "the routing rules in force (prefer/avoid adjustments)",
    options: {},
    async run(ctx) {
      const doc = await call<{ rules: RoutingRule[] }>(ctx.client(), "GET", "/routing/rules");
      if (ctx.json) ctx.emit(doc);
      else ctx.print(formatRules(doc.rules));
      return 0;
    },
  },
  {
    path: ["routing", "unapply"],
    args: { names: "RULE_ID", min: 1, max: 1 },
    summary: "remove a routing rule (operator, audited)",
    options: {},
    async run(ctx) {
      const id = ctx.positionals[0]!;
      assertIdShape(RuleIdParam, id, "a rule id (rr_…)", "copy one from the ID column of `gigafactory routing rules`");
      const rule = await call<RoutingRule>(ctx.client(), "DELETE", `/routing/rules/${encodeURIComponent(id)}`);
      if (ctx.json) ctx.emit(rule);
      else ctx.print(`✔ removed rule ${rule.id} (${rule.effect} ${rule.factoryId})`);
      return 0;
    },
  },
  {
    path: ["routing", "rebuild"],
    args: { names: "", min: 0, max: 0 },
    summary: "rebuild the track records from the D1 runs history (operator, audited)",
    options: {},
    async run(ctx) {
      const doc = await call<{ counted: number; skipped: number; chunks: number }>(
        ctx.client(),
        "POST",
        "/routing/rebuild",
      );
      if (ctx.json) ctx.emit(doc);
      else
        ctx.print(
          `✔ rebuilt: ${doc.counted} runs counted, ${doc.skipped} skipped (job or factory no longer held), ${doc.chunks} chunk(s)`,
        );
      return 0;
    },
  },
];
