/**
 * @module cli/commands/factory-breaker-reset
 * `gigafactory factory breaker-reset ID ENGINE`: closes one breaker of a factory (the factory by id or name, as every
 * factory change names it: cli/commands/factory-changes), ENGINE checked before anything is sent by the very rule
 * the route checks it with (shared/api-metrics BreakerEngineParam). Sent unchecked, `'a b'`, `кодекс` or a
 * 33-character name came back "fix the value named above", with nothing above to fix.
 */

import { BreakerEngineParam } from "../../shared/api-metrics.ts";
import { EXIT_USAGE } from "../../shared/fixable-error.ts";
import { ApiError } from "../../shared/http-client.ts";
import type { Command, Ctx } from "../context.ts";
import { quotedInput } from "../echoed-input.ts";
import { CliError } from "../errors.ts";
import { checked } from "../read-answers.ts";
import { BreakerResetRead, inlined } from "../read-answers-ops.ts";

/**
 * Where a breaker's engine is read (cli/commands/factories' BREAKERS column), and what a name may be — in words, for
 * the rule's own message says only "like claude", and a 33-character name looks like one.
 */
const ENGINE_FIX =
  "copy it from the BREAKERS column of `gigafactory factories` (lowercase letters, digits, '.', '_' and '-', at most " +
  "32, starting with a letter or digit), or quote '*' for the default engine";

/**
 * Refuses an ENGINE the route would refuse (shared/api-metrics BreakerEngineParam), in the rule's own words.
 * @throws CliError usage (exit 2), naming the engine as typed (cut: cli/echoed-input) and where to copy a real one
 */
export function assertEngineName(engine: string): void {
  const parsed = BreakerEngineParam.safeParse(engine);
  if (parsed.success) return;
  const rule = parsed.error.issues[0]?.message ?? "not an engine name";
  throw new CliError("usage", `engine ${quotedInput(engine)}: ${rule}`, ENGINE_FIX, EXIT_USAGE);
}

/**
 * A reset's `unknown_engine` refusal (core/breaker-engines) as its `✘ ERROR` line, the fix the factory's engines (the
 * problem's `engines`, those a reset takes: shared/api-metrics BreakerEngineParam); anything else as it came.
 */
function unknownEngineError(err: unknown, id: string): unknown {
  if (!(err instanceof ApiError) || err.code !== "unknown_engine") return err;
  const listed = (err.body as { engines?: unknown } | null)?.engines;
  const engines = Array.isArray(listed) ? listed.filter((e) => BreakerEngineParam.safeParse(e).success) : [];
  if (engines.length === 0) return err;
  const fix = `one of ${engines.join(", ")} (gigafactory factory breaker-reset ${id} ENGINE; quote '*')`;
  return new CliError("unknown_engine", err.detail, fix);
}

/**
 * The command; `idOf` resolves the factory named (cli/commands/factory-changes), after ENGINE is checked: a bad name
 * sends nothing, not even the fleet look-up a factory's name needs.
 */
export function breakerResetCommand(idOf: (ctx: Ctx) => Promise<string>): Command {
  return {
    path: ["factory", "breaker-reset"],
    args: { names: "ID ENGINE", min: 2, max: 2 },
    summary: "close a factory's breaker for an engine now ('*' for its default engine): its jobs go there again",
    details: [
      "For an engine known fixed (its login renewed, a rate limit lifted): the breaker need not wait out its",
      "cool-down. Its failures and cool-down ladder are cleared, its alert resolved; runs granted before the reset",
      "(a trial still out too) no longer count, nor against the error budget. Quote '*' (the engine of jobs that",
      "name none) so the shell does not expand it. ENGINE is as the BREAKERS column of `gigafactory factories`",
      "shows it; a name no engine can have is refused before anything is sent (exit 2).",
    ],
    options: {},
    async run(ctx) {
      const ref = ctx.positionals[0]!;
      const engine = ctx.positionals[1]!;
      assertEngineName(engine);
      const id = await idOf(ctx);
      const answer = await ctx
        .client()
        .resetBreaker(id, engine)
        .catch((err: unknown) => {
          throw unknownEngineError(err, id);
        });
      const b = checked(BreakerResetRead, answer, "a breaker");
      const named = engine === "*" ? "the default engine's breaker" : `engine ${engine}'s breaker`;
      const on = inlined`${named} on factory ${ref === id ? id : `${ref} (${id})`}`;
      if (ctx.json) ctx.emit(b);
      else if (!b.changed) ctx.print(`already closed with no failures: nothing to reset — ${on}`);
      else ctx.print(`✔ ${on} is closed: jobs of that engine may run there again`);
      return 0;
    },
  };
}
