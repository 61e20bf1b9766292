// Realistic output of the real engines, in their current machine formats, for the engine-formats tests: a Claude Code
// `stream-json` session (the per-call usage repeated per content block, a tool result quoting "429" and
// "rate_limit_error" in a diff, then the result with the session's totals) and a Codex `exec --json` run (a transient
// `error` event it recovers from, a command whose output says "rate limit", then two running totals).

const j = (v: unknown): string => JSON.stringify(v);

const call = { input_tokens: 3, cache_creation_input_tokens: 2000, cache_read_input_tokens: 10000, output_tokens: 120 };

export const CLAUDE_STREAM: string[] = [
  j({ type: "system", subtype: "init", session_id: "s1", model: "claude-sonnet-4-5", tools: ["Bash", "Edit"] }),
  // One API call, two content blocks: Claude Code prints the same message (and its usage) once per block.
  j({
    type: "assistant",
    message: { id: "msg_1", role: "assistant", content: [{ type: "text", text: "Looking." }], usage: call },
  }),
  j({
    type: "assistant",
    message: { id: "msg_1", role: "assistant", content: [{ type: "tool_use", name: "Bash" }], usage: call },
  }),
  j({
    type: "user",
    message: {
      role: "user",
      content: [
        {
          type: "tool_result",
          content:
            '-  if (res.status === 429) throw new Error("rate_limit_error")\n+  if (res.status === 429 || body.type === "overloaded_error") return retry()\nAPI Error: 529 overloaded_error in fixture',
        },
      ],
    },
  }),
  j({
    type: "result",
    subtype: "success",
    is_error: false,
    duration_ms: 9000,
    num_turns: 2,
    result: "Fixed the retry on HTTP 429 rate_limit_error and overloaded_error (529).",
    session_id: "s1",
    total_cost_usd: 0.123456,
    usage: { input_tokens: 6, cache_creation_input_tokens: 4000, cache_read_input_tokens: 20000, output_tokens: 240 },
  }),
];

/** What a Claude Code run throttled past its own retries ends with. */
export const CLAUDE_RATE_LIMITED = j({
  type: "result",
  subtype: "success",
  is_error: true,
  result:
    'API Error: 429 {"type":"error","error":{"type":"rate_limit_error","message":"This request would exceed the rate limit for your organization"}}',
  total_cost_usd: 0.01,
  usage: { input_tokens: 10, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 0 },
});

export const CLAUDE_OVERLOADED = j({
  type: "result",
  subtype: "success",
  is_error: true,
  result:
    'API Error: 529 {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"},"request_id":"req_011CZbiHognn1znP8MCgREwD"}',
  total_cost_usd: 0,
  usage: { input_tokens: 0, output_tokens: 0 },
});

/** Out of turns: an error, but not the provider's throttling. */
export const CLAUDE_MAX_TURNS = j({
  type: "result",
  subtype: "error_max_turns",
  is_error: true,
  num_turns: 3,
  total_cost_usd: 0.5,
  usage: { input_tokens: 100, output_tokens: 50 },
});

export const CODEX_JSONL: string[] = [
  j({ type: "thread.started", thread_id: "0199a213-81c0-7800-8aa1-bbab2a035a53" }),
  j({ type: "turn.started" }),
  j({ type: "error", message: "Reconnecting... 1/5 (stream error: 429 Too Many Requests; retry in 2s)" }),
  j({
    type: "item.completed",
    item: {
      id: "item_1",
      type: "command_execution",
      command: "npm test",
      aggregated_output: "✓ client backs off on 429 Too Many Requests (rate limit)\n",
      exit_code: 0,
      status: "completed",
    },
  }),
  j({ type: "turn.completed", usage: { input_tokens: 24763, cached_input_tokens: 24448, output_tokens: 122 } }),
  j({ type: "turn.started" }),
  j({ type: "turn.completed", usage: { input_tokens: 50000, cached_input_tokens: 40000, output_tokens: 300 } }),
];

export const CODEX_RATE_LIMITED = j({
  type: "turn.failed",
  error: { message: "exceeded retry limit, last status: 429 Too Many Requests, please try again in 1m30s" },
});

export const CODEX_OTHER_FAILURE = j({
  type: "turn.failed",
  error: { message: "sandbox denied: cannot write outside the workspace" },
});
