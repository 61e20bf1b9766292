/**
 * @module cli/command-synonyms
 * Words a newcomer types for a fleet-governor feature that the CLI spells otherwise, each with the command that does
 * it. `gigafactory why ID` (the README's "Why is it waiting") said only `unknown command "why"` / `see gigafactory
 * --help`, a 70-line list to search; `breakers`, `webhook` and `spend` the same. cli/errors `unknownCommand` gives
 * the fix below for such a word (a typo of a real command keeps its "did you mean"). `commands` are the commands the
 * fix names, full paths, held to the registry by test/unit/cli-command-synonyms. A group's command typed without its
 * group (`breaker-reset`) is told the full command (`groupCommandHint`). Pure.
 */

/** A synonym's hint: the commands it names (for the test) and the fix line that says which does what. */
export interface SynonymHint {
  commands: readonly string[];
  fix: string;
}

const hint = (commands: readonly string[], fix: string): SynonymHint => ({ commands, fix });

const WHY = hint(
  ["explain", "job"],
  "`gigafactory explain ID` says why a job waits and how the router ranks each factory for it (`gigafactory job ID` too)",
);
const BREAKERS = hint(
  ["factories", "factory breaker-reset", "metrics", "settings set"],
  "`gigafactory factories` shows each factory's breakers (BREAKERS column), `gigafactory metrics` their failures; " +
    "`gigafactory factory breaker-reset ID ENGINE` closes one now (an operator's reset); " +
    "`gigafactory settings set breaker.failureThreshold=N overflow=hold` tunes them",
);
const WEBHOOK = hint(
  ["dead-letters"],
  "the webhook has no CLI command: PUT /api/v1/products/P/webhook {url, secret} with an operator token (README " +
    '"Money and health"); `gigafactory dead-letters` lists deliveries that used up their tries',
);
const SPEND = hint(["budget", "job"], "`gigafactory budget` shows the product's spend; `gigafactory job ID` a job's");
const FREEZE = hint(
  ["serial freeze", "serial unfreeze", "serial list"],
  "`gigafactory serial freeze KEY --reason TEXT` freezes a serial key, `gigafactory serial unfreeze KEY` lifts it, " +
    "`gigafactory serial list` shows them",
);
const PAUSE = hint(
  ["budget pause", "budget resume"],
  "`gigafactory budget pause` pauses dispatch (no budget needed), `gigafactory budget resume` lifts the pause",
);
const FACTORY = hint(
  ["factory quarantine", "factory release", "factory drain", "factory activate"],
  "`gigafactory factory quarantine ID`, `factory release ID`, `factory drain ID` and `factory activate ID` change a " +
    "factory's status",
);
const EXPERIMENTS = hint(
  ["routing experiment show", "routing experiment start", "routing recs", "routing rules"],
  "`gigafactory routing experiment show` lists the experiments (`… start` starts one); `gigafactory routing recs` " +
    "and `routing rules` the learned routing",
);
const PRICES = hint(
  ["settings set", "settings get", "budget", "job"],
  "`gigafactory settings set prices.ENGINE.usdPerMillionIn=N prices.ENGINE.usdPerMillionOut=N` prices an engine's " +
    "tokens that come with no USD (`prices.ENGINE=null` removes it; `gigafactory settings get` shows the table); " +
    "`gigafactory budget` and `gigafactory job ID` show the estimated part of the spend",
);
const STATUS = hint(["health", "alerts"], "`gigafactory health` says the product's health, `gigafactory alerts` why");

/** Each word (lowercase) and its hint; none is a command's first word. */
export const COMMAND_SYNONYMS: Readonly<Record<string, SynonymHint>> = {
  why: WHY,
  wait: WHY,
  waiting: WHY,
  breaker: BREAKERS,
  breakers: BREAKERS,
  webhook: WEBHOOK,
  webhooks: WEBHOOK,
  spend: SPEND,
  spent: SPEND,
  cost: SPEND,
  costs: SPEND,
  freeze: FREEZE,
  unfreeze: FREEZE,
  pause: PAUSE,
  resume: PAUSE,
  quarantine: FACTORY,
  release: FACTORY,
  drain: FACTORY,
  activate: FACTORY,
  experiment: EXPERIMENTS,
  experiments: EXPERIMENTS,
  recs: EXPERIMENTS,
  rules: EXPERIMENTS,
  status: STATUS,
  price: PRICES,
  prices: PRICES,
  pricing: PRICES,
  estimate: PRICES,
  estimates: PRICES,
};

/**
 * The commands whose second word is `word` (`breaker-reset` → `factory breaker-reset`), as a did-you-mean and a fix
 * naming the first one's help, or undefined when none: a group's command typed without its group said only "see `gigafactory --help`" (pass 51).
 * @param commands the registry's commands (cli/registry COMMANDS), each a path of words
 */
export function groupCommandHint(
  word: string,
  commands: readonly { path: readonly string[] }[],
): { meant: string; fix: string } | undefined {
  const lower = word.toLowerCase();
  const full = [...new Set(commands.filter((c) => c.path[1] === lower).map((c) => c.path.slice(0, 2).join(" ")))];
  if (!full.length) return undefined;
  const named = full.sort().map((f) => `\`gigafactory ${f}\``);
  return { meant: `did you mean ${named.join(" or ")}?`, fix: `\`gigafactory ${full[0]} --help\` says its arguments` };
}

/** The hint for `word` (any case), if it is one of the synonyms. */
export function synonymHint(word: string): SynonymHint | undefined {
  return Object.hasOwn(COMMAND_SYNONYMS, word.toLowerCase()) ? COMMAND_SYNONYMS[word.toLowerCase()] : undefined;
}
