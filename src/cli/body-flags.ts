/**
 * @module cli/body-flags
 * A coordinator's refusal of a request body or query names the API's field (worker/problem `fromZod`:
 * "body.budgetUsd: Too small", `query.FIELD`), but the user typed a flag: `requeue --budget-usd 0.0000001` was told
 * of `body.budgetUsd`, a name they never saw. The one place a refusal's field is said as the flag of the command that
 * sent it, for every command: a field is the flag spelt in kebab case (`budgetUsd` → `--budget-usd`) when the command
 * has that option, or the flag `FIELD_FLAGS` names where the two differ; any other field (one from a file, e.g. a
 * manifest) is left as the API names it.
 */
import type { CommandSpec } from "./args.ts";
import { CliError } from "./errors.ts";

/**
 * Body fields (a nested one by its dotted path) whose flag is not their kebab-case spelling: `factory enroll` and
 * `approve` send `--cap` as `capabilities`, and `approve --seats` as `seatLimit`; `routing experiment start` sends
 * `--class` as `jobClass` and `--metric`, `--margin`, `--confidence` inside `guardrail`.
 */
const FIELD_FLAGS: Readonly<Record<string, string>> = {
  capabilities: "cap",
  seatLimit: "seats",
  jobClass: "class",
  "guardrail.metric": "metric",
  "guardrail.margin": "margin",
  "guardrail.confidence": "confidence",
};

/** `budgetUsd` → `budget-usd`. */
const kebab = (field: string): string => field.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/**
 * The option (without `--`) of `command` that sent body field `field` (a dotted path for a nested one, e.g.
 * `guardrail.metric`), or undefined when none did. Pure.
 */
export function flagOfField(field: string, command: Pick<CommandSpec, "options">): string | undefined {
  const named = Object.hasOwn(FIELD_FLAGS, field) ? FIELD_FLAGS[field] : undefined;
  for (const flag of [named, kebab(field)]) if (flag !== undefined && Object.hasOwn(command.options, flag)) return flag;
  return undefined;
}

/**
 * The positional argument of `args` (as help names them: "TEXT", "CEILING_USD") that sent body field `field`, or
 * undefined: the field spelt in capitals, words split by "_" (`ceilingUsd` → CEILING_USD). `lessons add "  "` was told
 * of `body.text`, `budget set` of `body.ceilingUsd`, `enroll` of `body.name`: words the user never typed. Pure.
 */
export function argOfField(field: string, args: Pick<CommandSpec["args"], "names"> | undefined): string | undefined {
  const name = field.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase();
  return args?.names.split(/\s+/).includes(name) ? name : undefined;
}

/**
 * `e` with each `body.FIELD` or `query.FIELD` (a nested one by its dotted path, and `….FIELD.N`, an item of it) of its
 * message said as the command's flag (`--budget-usd`, `--cap[1]`, `--metric` for `body.guardrail.metric`) or, when no
 * flag sent it, its positional argument (`TEXT` for `body.text`), for a `validation_failed` refusal; any other error,
 * or a field neither sent, is returned as it is. Pure: a new error when a field was renamed, else `e` itself.
 */
export function withFlagNames(
  e: CliError,
  command: (Pick<CommandSpec, "options"> & Partial<Pick<CommandSpec, "args">>) | undefined,
): CliError {
  if (e.code !== "validation_failed" || command === undefined) return e;
  const message = e.message.replace(
    /\b(?:body|query)((?:\.[A-Za-z_][A-Za-z0-9_]*)+)((?:\.\d+)*)/g,
    (whole, path: string, at: string) => {
      // The field by its whole dotted path: `guardrail.metric` is --metric; an item of it (`capabilities.1`) --cap[1].
      const flag = flagOfField(path.slice(1), command);
      const said = flag === undefined ? argOfField(path.slice(1), command.args) : `--${flag}`;
      if (said === undefined) return whole;
      return `${said}${at.replace(/\.(\d+)/g, "[$1]")}`;
    },
  );
  if (message === e.message) return e;
  return new CliError(e.code, message, e.fix, e.exitCode);
}
