/**
 * @module agent/engine-usage-fields
 * The usage fields of the engines' machine formats (agent/engine-formats) read as counts: each a finite number from
 * 0 up, capped at what a report may carry, and Anthropic's two shapes of token counts summed into [input, output].
 */

/**
 * 1e12 tokens / $1e6: the most a report may carry (shared/api-work InsightsBody; the coordinator refuses more, and the
 * run would go unreported), far past any real run. Every count is capped here, sums included.
 */
export const MAX_TOKENS = 1e12;
export const MAX_USD = 1e6;

/** `v` as a count: a whole number from 0 to MAX_TOKENS; 0 when it is none (absent, negative, not finite). */
export const count = (v: unknown): number =>
  typeof v === "number" && Number.isFinite(v) && v >= 0 ? Math.min(Math.round(v), MAX_TOKENS) : 0;
/** Whether `v` is a usable count (a finite number from 0 up). */
export const has = (v: unknown): boolean => typeof v === "number" && Number.isFinite(v) && v >= 0;
/** `v` as a JSON object, or undefined (an array, null, a scalar). */
export const record = (v: unknown): Record<string, unknown> | undefined =>
  typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;

/** An Anthropic `usage` → [input incl. cache writes and reads, output]; undefined when it has neither count. */
export function anthropicTokens(u: Record<string, unknown> | undefined): [number, number] | undefined {
  if (!u || !(has(u.input_tokens) || has(u.output_tokens))) return undefined;
  const tokensIn = count(u.input_tokens) + count(u.cache_creation_input_tokens) + count(u.cache_read_input_tokens);
  return [Math.min(tokensIn, MAX_TOKENS), count(u.output_tokens)];
}

/**
 * `modelUsage` (per model, camelCase) summed: the process's whole spend, the small model's background calls included
 * as `total_cost_usd` includes them, where `usage` is the main conversation's; undefined when it has no counts.
 */
export function modelUsageTokens(m: Record<string, unknown> | undefined): [number, number] | undefined {
  let found = false;
  let tokensIn = 0;
  let tokensOut = 0;
  for (const v of Object.values(m ?? {})) {
    const u = record(v);
    if (!u || !(has(u.inputTokens) || has(u.outputTokens))) continue;
    found = true;
    tokensIn += count(u.inputTokens) + count(u.cacheCreationInputTokens) + count(u.cacheReadInputTokens);
    tokensOut += count(u.outputTokens);
  }
  return found ? [Math.min(tokensIn, MAX_TOKENS), Math.min(tokensOut, MAX_TOKENS)] : undefined;
}
