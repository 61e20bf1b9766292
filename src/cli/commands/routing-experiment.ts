/**
 * @module cli/commands/routing-experiment
 * Guarded routing experiments (issue 11 part 4) from the CLI: `gigafactory routing experiment start --class C
 * [--a-prefer F]… [--a-avoid F]… [--b-prefer F]… [--b-avoid F]… [--a-weight K=N]… [--b-weight K=N]… [--split 0.5]
 * [--metric success_rate|cost]
 * [--margin 0.1] [--confidence 0.95] [--min-samples 20]` (operator, audited; F a factory's name or id, names
 * resolved through the factories list), `… stop ID` and `… show [ID]` (all experiments without an id; everything
 * the document says but the per-look statistics). `--json` prints the API's documents; a bad number, a success_rate margin ≥ 1 or an id
 * that is not an experiment id (`ex_…`) is a usage error (exit 2) that sends nothing.
 */
import { usdText } from "../../core/usd-text.ts";
import { ExperimentIdParam } from "../../shared/api-routing.ts";
import type { GigafactoryClient } from "../../shared/http-client.ts";
import { armNames, armPolicyText } from "../arm-policy-text.ts";
import type { Command } from "../context.ts";
import { quotedInput } from "../echoed-input.ts";
import { usageError } from "../errors.ts";
import { experimentBody } from "../experiment-body.ts";
import { factoryNamer, nameWaitMs } from "../factory-names.ts";
import { factoryIdIn } from "../factory-ref.ts";
import { percentNumber } from "../number-text.ts";
import { checkedCall, lineOf, lineTable } from "../read-answers-policy.ts";
import { ExperimentRead, ExperimentStartedRead, ExperimentsRead, FactoryRefsRead } from "../read-answers-routing.ts";
import { formatInstant, orNone } from "../table.ts";

type ArmView = { n: number; successes: number; successRate: number | null; meanCostUsd: number | null };
/** The API's experiment view (worker/routes/experiments `experimentView`), as far as the CLI prints it. */
export interface ExperimentView {
  id: string;
  jobClass: string;
  status: string;
  split: number;
  guardrail: { metric: string; margin: number; confidence: number };
  /** Absent (with the two below) from an answer of an older shape: shown as "—", never "undefined". */
  minSamples?: number;
  startedAt?: number;
  startedBy?: string;
  looks: number;
  arms: { A: ArmView & { policy: unknown }; B: ArmView & { policy: unknown } };
  decision: { at: number; by: string; winner?: string; loser?: string; reason: string } | null;
}

const pct = (x: number | null) => (x === null ? "-" : `${percentNumber(x)} %`);
/** A mean run cost: cents as cents, a fraction of a cent with two significant digits ($0.0012, not $0.00). */
const usd = (x: number | null) => (x === null ? "-" : usdText(x));

/**
 * One experiment: a header line, the two arms as a table, and the decision, each line one line whatever it quotes.
 * `names`: factory id → name (cli/factory-names), for the arms' rules under POLICY (cli/arm-policy-text).
 */
export function formatExperiment(e: ExperimentView, names: ReadonlyMap<string, string> = new Map()): string {
  const named = factoryNamer(names);
  const head = `${e.id}  ${e.status}  class ${e.jobClass}  split ${e.split} to B  guardrail ${e.guardrail.metric} margin ${e.guardrail.margin} at ${e.guardrail.confidence}  min samples ${orNone(e.minSamples)} per arm  looks ${e.looks}`;
  const started = `started ${formatInstant(e.startedAt)} by ${orNone(e.startedBy)}`;
  const table = lineTable(
    [
      { header: "ARM" },
      { header: "N" },
      { header: "OK" },
      { header: "RATE" },
      { header: "COST" },
      { header: "POLICY", max: 80 },
    ],
    (["A", "B"] as const).map((k) => {
      const a = e.arms[k];
      const policy = armPolicyText(a.policy, named);
      return [k, String(a.n), String(a.successes), pct(a.successRate), usd(a.meanCostUsd), policy];
    }),
  );
  const d = e.decision;
  const decision = d
    ? `decision (${d.by}, ${formatInstant(d.at)}): ${d.winner ? `arm ${d.winner} wins — ` : ""}${d.reason}`
    : "no decision yet";
  // The class, who started it and the reason are the server's text: each line stays one (a newline forged a line).
  return `${lineOf(head)}\n${lineOf(started)}\n${table}\n${lineOf(decision)}`;
}

/** `raw` when it has an experiment id's shape (`ex_…`, the API's path parameter), before it goes in a path. */
function experimentId(raw: string | undefined, command: string): string {
  if (raw === undefined || !ExperimentIdParam.safeParse(raw).success)
    throw usageError(`${quotedInput(raw ?? "")} is not an experiment id (ex_…)`, command);
  return raw;
}

const side = (a: "a" | "b", what: "prefer" | "avoid") => ({
  type: "string" as const,
  multiple: true,
  value: "FACTORY",
  help: `arm ${a.toUpperCase()} ${what}s this factory, by name or id (repeatable)`,
});

const weight = (a: "a" | "b") => ({
  type: "string" as const,
  multiple: true,
  value: "KEY=N",
  help: `arm ${a.toUpperCase()}'s router weight, e.g. load=2 (repeatable; not starvation)`,
});

/**
 * The body with every arm rule's factory given by id: a ref that is a listed factory's id stays, a name becomes the
 * id of the one factory so named (GET …/factories, read once, only when there are rules). The API takes ids only;
 * a name used to fail `not_found: factory demo-gpu does not exist`.
 * @throws CliError not_found — no factory has that id or name (the fix lists them); ambiguous — the name is several
 *   factories' (the fix lists their ids).
 */
export async function withFactoryIds(
  client: GigafactoryClient,
  body: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  type Arm = { rules?: Array<{ factoryId: string; effect: string }> };
  const arms = body.arms as { A: Arm; B: Arm };
  if (!arms.A.rules && !arms.B.rules) return body;
  // Read before the write: a list that is not factories never becomes the ids of a started experiment.
  // (GET …/factories read whole: the client's listFactories reads `.factories` of a null answer as a TypeError.)
  const read = { schema: FactoryRefsRead, what: "a list of factories" };
  const fleet = (
    await checkedCall<{ factories: Array<{ id: string; name: string }> }>(client, "GET", "/factories", read)
  ).factories;
  // A rule naming a revoked factory is refused: a revoked one sharing the name does not make it ambiguous.
  const idOf = (ref: string): string => factoryIdIn(fleet, ref, true);
  const resolve = (arm: Arm): Arm =>
    arm.rules ? { ...arm, rules: arm.rules.map((r) => ({ ...r, factoryId: idOf(r.factoryId) })) } : arm; // weights kept
  return { ...body, arms: { A: resolve(arms.A), B: resolve(arms.B) } };
}

export const experimentCommands: Command[] = [
  {
    path: ["routing", "experiment", "start"],
    args: { names: "", min: 0, max: 0 },
    summary: "start an A/B between two routing policies for a job class, stopped by its guardrail (operator)",
    options: {
      class: { type: "string", value: "CLASS", help: "the job class, e.g. lang:rust or lang:rust|class:docs" },
      "a-prefer": side("a", "prefer"),
      "a-avoid": side("a", "avoid"),
      "b-prefer": side("b", "prefer"),
      "b-avoid": side("b", "avoid"),
      "a-weight": weight("a"),
      "b-weight": weight("b"),
      split: { type: "string", value: "FRACTION", help: "share of the class routed by arm B (default 0.5)" },
      metric: { type: "string", value: "METRIC", help: "guardrail metric", choices: ["success_rate", "cost"] },
      margin: { type: "string", value: "X", help: "how much worse stops it: a rate (0.1) or USD per run" },
      confidence: { type: "string", value: "C", help: "1 − the false-positive rate (default 0.95)" },
      "min-samples": {
        type: "string",
        value: "N",
        help: "outcomes per arm before the first look",
        int: { min: 5, max: 10_000 },
      },
    },
    async run(ctx) {
      const body = await withFactoryIds(ctx.client(), experimentBody(ctx));
      const read = { schema: ExperimentStartedRead, what: "a started experiment" };
      const e = await checkedCall<ExperimentView>(ctx.client(), "POST", "/routing/experiments", read, body);
      if (ctx.json) ctx.emit(e);
      else {
        const id = lineOf(e.id); // the server's text, twice on the one ✔ line
        ctx.print(
          `✔ started ${id} for ${lineOf(e.jobClass)} — watch with \`gigafactory routing experiment show ${id}\``,
        );
      }
      return 0;
    },
  },
  {
    path: ["routing", "experiment", "stop"],
    args: { names: "ID", min: 1, max: 1 },
    summary: "stop an experiment; a concluded one's winner stops routing its class (operator, audited)",
    options: {},
    async run(ctx) {
      const id = experimentId(ctx.positionals[0], "routing experiment stop");
      // `changed: false`: it was stopped already, and its first stop is kept (no ✔: nothing happened now).
      const e = await checkedCall<ExperimentView & { changed?: boolean }>(
        ctx.client(),
        "POST",
        `/routing/experiments/${id}/stop`,
        { schema: ExperimentRead, what: "an experiment" },
      );
      if (ctx.json) ctx.emit(e);
      else {
        const names = await armNames(ctx.client(), [e], nameWaitMs(ctx.io.env));
        ctx.print(
          `${e.changed === false ? "already stopped" : "✔ stopped"} ${lineOf(e.id)}\n${formatExperiment(e, names)}`,
        );
      }
      return 0;
    },
  },
  {
    path: ["routing", "experiment", "show"],
    args: { names: "[ID]", min: 0, max: 1 },
    summary: "an experiment's arms, counts, rates and decision (all experiments without an id)",
    options: {},
    async run(ctx) {
      const id =
        ctx.positionals[0] === undefined ? undefined : experimentId(ctx.positionals[0], "routing experiment show");
      const doc = id
        ? await checkedCall<ExperimentView>(ctx.client(), "GET", `/routing/experiments/${id}`, {
            schema: ExperimentRead,
            what: "an experiment",
          })
        : await checkedCall<{ experiments: ExperimentView[] }>(ctx.client(), "GET", "/routing/experiments", {
            schema: ExperimentsRead,
            what: "a list of experiments",
          });
      if (ctx.json) ctx.emit(doc);
      else {
        const all = "experiments" in doc ? doc.experiments : [doc];
        const names = await armNames(ctx.client(), all, nameWaitMs(ctx.io.env));
        const text = all.map((e) => formatExperiment(e, names)).join("\n\n");
        ctx.print("experiments" in doc && all.length === 0 ? "no experiments" : text);
      }
      return 0;
    },
  },
];
