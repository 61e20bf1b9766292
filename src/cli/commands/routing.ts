/**
 * @module cli/commands/routing
 * Learned routing (issue 11): `gigafactory routing recs` lists the recommendations with their evidence; `routing
 * apply ID` turns one into an avoid rule (operator, audited); `routing rules` lists the rules in force; `routing
 * unapply RULE_ID` removes one; `routing rebuild` rebuilds the track records from the D1 history. `--json` prints
 * the API's documents. An unknown recommendation is `✘ ERROR not_found: … / run \`gigafactory routing recs\``.
 */

import { counted } from "../../core/counted.ts";
import type { Finding } from "../../core/recommendations.ts";
import type { RoutingRule } from "../../core/routing-rules.ts";
import { RuleIdParam } from "../../shared/api-routing.ts";
import type { GigafactoryClient } from "../../shared/http-client.ts";
import type { Command } from "../context.ts";
import { assertIdShape, CliError } from "../errors.ts";
import { factoryNamer, factoryNames, namedIn, nameWaitMs } from "../factory-names.ts";
import { checkedCall, lineOf, lineTable } from "../read-answers-policy.ts";
import { RebuildRead, RecommendationsRead, RuleRead, RulesRead } from "../read-answers-routing.ts";

type Recommendation = Finding & { appliedAs: string | null };

/**
 * The recommendations as a table: id, kind, applied rule (or -), the finding — its factory named by `names` (the
 * fleet list, cli/factory-names) in the coordinator's sentence, which says its id ("codex on fac_0mxc6m72… fails").
 */
export function formatRecs(
  recs: readonly Recommendation[],
  terminal?: number,
  names: ReadonlyMap<string, string> = new Map(),
): string {
  if (recs.length === 0) return "no recommendations (not enough runs, or no real gap)";
  const named = factoryNamer(names);
  return lineTable(
    // Never cut (cli/table `wrap`): a finding's numbers, the evidence, come last.
    [{ header: "ID" }, { header: "KIND" }, { header: "APPLIED" }, { header: "FINDING", max: 140, wrap: true }],
    recs.map((r) => [r.id, r.kind, r.appliedAs ?? "-", namedIn(r.message, r.factoryId, named)]),
    terminal,
  );
}

/** The rules as a table: id, effect, factory, engine and class (`*` = any), reason. */
export function formatRules(
  rules: readonly RoutingRule[],
  terminal?: number,
  names: ReadonlyMap<string, string> = new Map(),
): string {
  if (rules.length === 0) return "no routing rules";
  const named = factoryNamer(names); // FACTORY as `jobs` names it: demo-gpu, not fac_0mxc6m72… (cli/factory-names)
  return lineTable(
    [
      { header: "ID" },
      { header: "EFFECT" },
      { header: "FACTORY" },
      { header: "ENGINE" },
      { header: "CLASS", max: 40 },
      { header: "REASON", max: 80, wrap: true },
    ],
    // A reason taken from a recommendation quotes its finding, which says the factory's id: said as FACTORY says it.
    rules.map((r) => {
      const reason = namedIn(r.reason, r.factoryId, named);
      return [r.id, r.effect, named(r.factoryId), r.engine ?? "any", r.jobClass ?? "any", reason];
    }),
    terminal,
  );
}

const recs = (client: GigafactoryClient) =>
  checkedCall<{ recommendations: Recommendation[] }>(client, "GET", "/routing/recommendations", {
    schema: RecommendationsRead,
    what: "a list of routing recommendations",
  });

/**
 * A rule's headline words, its factory as `routing rules` names it (demo-gpu, not fac_0mxc6m72…): the server's text,
 * kept on the ✔ line (a newline in it forged a line of its own).
 */
async function ruleWords(
  client: GigafactoryClient,
  r: Pick<RoutingRule, "effect" | "factoryId">,
  waitMs: number,
): Promise<string> {
  const named = factoryNamer(await factoryNames(client, waitMs));
  return lineOf(`${r.effect} ${named(r.factoryId)}`);
}

export const routingCommands: Command[] = [
  {
    path: ["routing", "recs"],
    args: { names: "", min: 0, max: 0 },
    summary: "what the track records say: hosts that fail or cost clearly more for a job class, with the numbers",
    options: {},
    async run(ctx) {
      const client = ctx.client();
      const doc = await recs(client);
      if (ctx.json) ctx.emit(doc);
      else {
        const names = doc.recommendations.length > 0 ? await factoryNames(client, nameWaitMs(ctx.io.env)) : undefined;
        ctx.print(formatRecs(doc.recommendations, ctx.io.stdoutColumns, names));
      }
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
        else ctx.print(`✔ ${id} is already applied as rule ${lineOf(found.appliedAs)} — nothing to do`);
        return 0;
      }
      const rule = await checkedCall<RoutingRule>(
        client,
        "POST",
        "/routing/rules",
        { schema: RuleRead, what: "a routing rule" },
        { ...found.rule, fromRecommendation: id },
      );
      if (ctx.json) ctx.emit(rule);
      else
        ctx.print(
          `✔ applied ${id} as rule ${lineOf(rule.id)}: ${await ruleWords(client, rule, nameWaitMs(ctx.io.env))} — undo with \`gigafactory routing unapply ${lineOf(rule.id)}\``,
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
      const client = ctx.client();
      const doc = await checkedCall<{ rules: RoutingRule[] }>(client, "GET", "/routing/rules", {
        schema: RulesRead,
        what: "a list of routing rules",
      });
      if (ctx.json) ctx.emit(doc);
      else {
        const names = doc.rules.length > 0 ? await factoryNames(client, nameWaitMs(ctx.io.env)) : undefined;
        ctx.print(formatRules(doc.rules, ctx.io.stdoutColumns, names));
      }
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
      const client = ctx.client();
      const rule = await checkedCall<RoutingRule>(client, "DELETE", `/routing/rules/${encodeURIComponent(id)}`, {
        schema: RuleRead,
        what: "the routing rule removed",
      });
      if (ctx.json) ctx.emit(rule);
      else {
        ctx.print(`✔ removed rule ${lineOf(rule.id)} (${await ruleWords(client, rule, nameWaitMs(ctx.io.env))})`);
      }
      return 0;
    },
  },
  {
    path: ["routing", "rebuild"],
    args: { names: "", min: 0, max: 0 },
    summary: "rebuild the track records from the D1 runs history (operator, audited)",
    options: {},
    async run(ctx) {
      const doc = await checkedCall<{ counted: number; skipped: number; chunks: number }>(
        ctx.client(),
        "POST",
        "/routing/rebuild",
        { schema: RebuildRead, what: "a rebuild's counts" },
      );
      if (ctx.json) ctx.emit(doc);
      else
        ctx.print(
          `✔ rebuilt: ${counted(doc.counted, "run")} counted, ${doc.skipped} skipped (job or factory no longer held), ` +
            counted(doc.chunks, "chunk"),
        );
      return 0;
    },
  },
];
