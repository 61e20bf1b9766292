/**
 * @module agent/engine-formats
 * What the real engines print about their spend and their provider's throttling, in their own machine formats,
 * read into the same usage and rate-limit facts as the `gf_insights`/`gf_rate_limited` contract (agent/insights):
 * without this, `claude` and `codex` report nothing, so a job's `budget.usd`/`tokens` is never enforced on them and a
 * throttled provider reads as an ordinary failure that trips the breaker instead of pausing it.
 *
 * - Claude Code, `claude -p --output-format stream-json --verbose` (or `json`): the last line is the `result` message,
 *   `{"type":"result","subtype":…,"is_error":…,"total_cost_usd":X,"usage":{input_tokens, output_tokens,
 *   cache_creation_input_tokens, cache_read_input_tokens},"result":"…"}`, holding the whole session's totals. Only it
 *   is read: each `assistant` message's `usage` is per API call and repeated for every content block of that call, so
 *   summing those would count a call several times. Input tokens are the three input counts added together: the
 *   Messages API counts cache writes and cache reads apart from `input_tokens`. `json` with `--verbose` prints one
 *   JSON array of every message; its `result` element is read the same way. A result line longer than the line splitter
 *   holds comes in pieces: its totals are read from the piece that ends it (`CutResultReader`).
 * - Codex CLI, `codex exec --json`: `{"type":"turn.completed","usage":{input_tokens, cached_input_tokens,
 *   output_tokens}}` carries the thread's running total (codex-rs exec `usage_from_last_total`), so each one replaces
 *   the previous; `cached_input_tokens` is the part of `input_tokens` served from cache (OpenAI usage), not more.
 *   Codex reports no cost.
 *
 * Rate limits are read from an engine's terminal failure only — Claude's `result` with `is_error: true`, Codex's
 * `turn.failed` — never from free text or a tool's output: a diff or a test log that says "429" or "rate limit" must
 * not reroute work and open a breaker. Nor is a Codex `error` event: Codex prints one for each retry it recovers from.
 */
import { truncateUtf8, wellFormed } from "../core/bytes.ts";
import { anthropicTokens, count, has, MAX_TOKENS, MAX_USD, modelUsageTokens, record } from "./engine-usage-fields.ts";
import type { Usage } from "./insights.ts";
import { MAX_PENDING_CHARS } from "./log-batcher.ts";
import { retryAfterText } from "./retry-after.ts";

export { MAX_TOKENS, MAX_USD } from "./engine-usage-fields.ts";

/** What one engine line says: the run's cumulative usage so far, and/or a throttled end (retry after N s, 0 = unknown). */
export interface EngineFacts {
  usage?: Usage;
  rateLimitedFor?: number;
  /** Why the engine says it failed (Claude's error result, Codex's turn.failed): its stderr may say nothing. */
  error?: string;
}

/** 500 bytes of UTF-8: enough for an API error's type and message; the report's message is bounded again (agent/report). */
const MAX_ERROR_BYTES = 500;
/**
 * The engine's words, fit for a report: a `"\ud800"` escape in its JSON parses to a lone surrogate, and a cut at N
 * UTF-16 units can halve an emoji into one — the coordinator refuses a frame holding one, so the report (the run's
 * outcome and its final spend) was never accepted. Replaced by U+FFFD, cut on a character boundary.
 */
const errorText = (...parts: unknown[]): string | undefined => {
  const text = parts.filter((p) => typeof p === "string" && p.trim() !== "").join(": ");
  return text === "" ? undefined : truncateUtf8(wellFormed(text), MAX_ERROR_BYTES);
};

/** The provider's throttling or overload, as Anthropic and OpenAI errors and the two CLIs word it. */
const THROTTLED =
  /\b(?:429|529)\b|rate_limit_error|overloaded_error|rate[ _-]?limit|too many requests|overloaded|usage limit|limit reached|usage_limit_reached|quota/i;

/** A throttled text → the wait it names (agent/retry-after; an absolute one read against `now`), 0 when none. */
const throttled = (text: unknown, now: number | undefined): number | undefined =>
  typeof text === "string" && THROTTLED.test(text) ? (retryAfterText(text, now) ?? 0) : undefined;

/** A Claude Code `result` message → its totals and, when it ended in a throttled API error, the rate limit. */
function claudeResult(r: Record<string, unknown>, now: number | undefined): EngineFacts {
  const facts: EngineFacts = {};
  const usage: Usage = {};
  const tokens = modelUsageTokens(record(r.modelUsage)) ?? anthropicTokens(record(r.usage));
  if (tokens) [usage.tokensIn, usage.tokensOut] = tokens;
  if (has(r.total_cost_usd)) usage.costUsd = Math.min(r.total_cost_usd as number, MAX_USD);
  if (Object.keys(usage).length > 0) facts.usage = usage;
  if (r.is_error === true) {
    // Newer Claude Code names the API's HTTP status (`api_error_status`); the text is all older ones give.
    const status = r.api_error_status === 429 || r.api_error_status === 529 ? 0 : undefined;
    const errors = Array.isArray(r.errors) ? r.errors.join(" ") : undefined;
    const n = throttled(r.result, now) ?? throttled(errors, now) ?? status;
    if (n !== undefined) facts.rateLimitedFor = n;
    const error = errorText(r.subtype === "success" ? undefined : r.subtype, r.result);
    if (error) facts.error = error;
  }
  return facts;
}

/** A Codex `turn.completed` (running totals) or `turn.failed` (a throttled one is a rate limit) event. */
function codexEvent(r: Record<string, unknown>, now: number | undefined): EngineFacts {
  if (r.type === "turn.failed") {
    const message = record(r.error)?.message;
    const n = throttled(message, now);
    const error = errorText(message);
    return { ...(n === undefined ? {} : { rateLimitedFor: n }), ...(error ? { error } : {}) };
  }
  const u = record(r.usage);
  if (!u || !(has(u.input_tokens) || has(u.output_tokens))) return {};
  return { usage: { tokensIn: count(u.input_tokens), tokensOut: count(u.output_tokens) } };
}

/** Cheap pre-check: most output lines are not one of these events, and JSON.parse of a long tool result costs. */
const EVENT = /"type"\s*:\s*"(?:result|turn\.completed|turn\.failed)"/;

/**
 * One output line → what it says about usage and throttling in Claude's or Codex's format; undefined otherwise.
 * `now` (ms since the epoch) reads a reset time the engine names ("try again at 3:28 PM"); without it only a relative
 * wait is read.
 */
export function parseEngineLine(line: string, now?: number): EngineFacts | undefined {
  const t = line.trim();
  if (!(t.startsWith("{") || t.startsWith("[")) || !EVENT.test(t)) return undefined;
  let data: unknown;
  try {
    data = JSON.parse(t);
  } catch {
    return undefined;
  }
  // `claude -p --output-format json --verbose`: an array of the session's messages, the `result` one last.
  const r = Array.isArray(data) ? record(data.findLast((m) => record(m)?.type === "result")) : record(data);
  if (!r) return undefined;
  if (r.type === "result") return claudeResult(r, now);
  if (r.type === "turn.completed" || r.type === "turn.failed") return codexEvent(r, now);
  return undefined;
}

/** What the totals of a cut result line are read from: the end of the line, with what came just before it. */
const CARRY_CHARS = 256 * 1024;
/** 64 lines: the pieces of the cut line and a few stderr lines among them; then the line is given up (each costs a copy of the carry). */
const CUT_LINES_LOOKED_AT = 64;
/** 1,024 lines: a session line (below) holds every tool output of the run, up to a gigabyte. */
const CUT_SESSION_LINES_LOOKED_AT = 1024;
/**
 * The start of a Claude result line, and of a `json --verbose` session line (one array of every message, the result
 * last: any real session is longer than the splitter holds), as Claude Code's JSON.stringify writes them (no blanks).
 */
const RESULT_HEAD = /^\s*\{"type":"result"/;
const SESSION_HEAD = /^\s*\[\{"type":"/;

/**
 * A Claude `result` line longer than the line splitter holds (agent/log-batcher MAX_PENDING_CHARS: a job that asks for
 * a huge final answer) reaches the meter in pieces, none of which parses, and its totals were lost: the run's
 * `budget.usd` unenforced, its spend never charged. Its fields after the answer (`session_id`, then `total_cost_usd`,
 * `usage`, `modelUsage`, …) are the rest of the line's object, so `{` and what follows its last `,"total_cost_usd":`
 * parse as one. Text inside the answer cannot pose as that: in the line every `"` of a string is escaped, so `,"`
 * occurs only between fields. So does a `json --verbose` session line cut in pieces: its result is its last message.
 */
export class CutResultReader {
  /** The end of the cut line so far, once a piece that starts a result line was cut; undefined otherwise. */
  private carry: string | undefined;
  private linesLeft = 0;

  /** One line (a piece of a cut one, or any other) → the totals when it ends a cut result line; else undefined. */
  line(text: string): Usage | undefined {
    const session = text.length >= MAX_PENDING_CHARS && SESSION_HEAD.test(text.slice(0, 64));
    if (session || (text.length >= MAX_PENDING_CHARS && RESULT_HEAD.test(text.slice(0, 64)))) {
      this.carry = text.slice(-CARRY_CHARS);
      this.linesLeft = session ? CUT_SESSION_LINES_LOOKED_AT : CUT_LINES_LOOKED_AT;
      return undefined;
    }
    if (this.carry === undefined) return undefined;
    if (--this.linesLeft < 0) {
      this.carry = undefined;
      return undefined;
    }
    const joined = this.carry + text;
    this.carry = joined.slice(-CARRY_CHARS);
    const at = joined.lastIndexOf(',"total_cost_usd":');
    if (at < 0) return undefined;
    let rest: unknown;
    try {
      // A session line's result closes the array too: an object never ends in `]`, so one is dropped.
      rest = JSON.parse(`{${joined.slice(at + 1).replace(/\]\s*$/, "")}`);
    } catch {
      return undefined; // not the end yet, or a piece between: the carry keeps it for the next one
    }
    const r = record(rest);
    if (!r) return undefined;
    this.carry = undefined;
    return claudeResult({ total_cost_usd: r.total_cost_usd, usage: r.usage, modelUsage: r.modelUsage }, undefined)
      .usage;
  }
}

/** 10 000 API calls: far past a run's; a flood of made-up ids stops being tallied there (the tally is a lower bound). */
const MAX_CALLS = 10_000;
/** 128 chars: an API message id has ~30. A made-up one a line long (≤ MAX_PENDING_CHARS) kept as a key held ~1 MB: */
const MAX_ID_CHARS = 128; // 10,000 of them, ~10 GB, and the agent died of it — with every seat on the host.
const ASSISTANT = /"type"\s*:\s*"assistant"/;

/**
 * Claude Code's running total before its result, so `budget.tokens` can stop a run midway (the result comes only at
 * its end). Each `assistant` line is one content block of one API call and repeats that call's usage, so calls are
 * told apart by `message.id`, a call's later usage replaces its earlier, and the calls are summed. It is a lower bound
 * — the CLI prints a call's usage as its stream starts (output so far, no thinking) — so it never says more than the
 * result will, which replaces it. It has no cost: USD comes only with the result.
 *
 * The sum is kept as it goes, a call's later usage adding its increase: re-summed on every line, it walked up to
 * MAX_CALLS calls per line (calls × lines a session). It only grows, so capped at MAX_TOKENS as it goes it equals the
 * capped re-sum (integers, exact below the cap; test/unit/agent-claude-tally).
 */
export class ClaudeCallTally {
  private readonly calls = new Map<string, [number, number]>();
  private tokensIn = 0;
  private tokensOut = 0;

  /** One output line → the calls' sum so far when it is an assistant message with usage; undefined otherwise. */
  line(text: string): Usage | undefined {
    const t = text.trim();
    if (!t.startsWith("{") || !ASSISTANT.test(t)) return undefined;
    let data: unknown;
    try {
      data = JSON.parse(t);
    } catch {
      return undefined;
    }
    const r = record(data);
    const message = record(r?.message);
    const id = message?.id;
    const tokens = anthropicTokens(record(message?.usage));
    if (r?.type !== "assistant" || typeof id !== "string" || id.length > MAX_ID_CHARS || !tokens) return undefined;
    const seen = this.calls.get(id) ?? (this.calls.size < MAX_CALLS ? ([0, 0] as const) : undefined);
    if (seen) {
      const [i, o] = [Math.max(seen[0], tokens[0]), Math.max(seen[1], tokens[1])];
      this.calls.set(id, [i, o]);
      this.tokensIn = Math.min(this.tokensIn + (i - seen[0]), MAX_TOKENS);
      this.tokensOut = Math.min(this.tokensOut + (o - seen[1]), MAX_TOKENS);
    }
    return { tokensIn: this.tokensIn, tokensOut: this.tokensOut };
  }
}
