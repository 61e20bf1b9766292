// Through a real Supervisor and seat (fake connection, test/unit/agent-fakes), an engine printing Claude Code's and
// Codex's real machine output ends its run as that output says: a Claude result with an API 429 is `rate_limited`
// (its cost and tokens on the report) though a tool result in the stream quoted 429 and rate_limit_error; a Codex run
// that recovered from a 429 retry and whose tests mention rate limits completes with its running total, counted
// once; a Claude result over `budget.usd` is `budget_exceeded`; a failure says why in the engine's words (Claude's
// error subtype, Codex's turn.failed message), which it printed on stdout, not stderr. The engine is a stand-in that prints its job body.
import { describe, expect, it } from "vitest";
import type { OutFrame } from "../../src/agent/connection.ts";
import { quoteWord } from "../../src/agent/engines.ts";
import { assignment, fakeSupervisor, tempAgent, until, useArtifactServer } from "./agent-fakes.ts";
import {
  CLAUDE_MAX_TURNS,
  CLAUDE_RATE_LIMITED,
  CLAUDE_STREAM,
  CODEX_JSONL,
  CODEX_OTHER_FAILURE,
} from "./engine-output-samples.ts";

const rest = useArtifactServer();

/** Prints the job body after its first line, and exits with the code that first line names. */
const ECHO_ENGINE = `let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const i=s.indexOf("\\n");process.stdout.write(s.slice(i+1),()=>{process.exitCode=Number(s.slice(0,i))})})`;

async function runJob(id: string, rc: number, lines: string[], budget: Record<string, number> = {}) {
  const agent = tempAgent(rest.url);
  agent.engines.set("sample", `${quoteWord(process.execPath)} -e ${quoteWord(ECHO_ENGINE)}`);
  const { conn, stop } = fakeSupervisor(agent);
  try {
    conn.welcome();
    const a = assignment(id, `${rc}\n${lines.join("\n")}\n`, 1, { budget });
    conn.push({ type: "assign", assignments: [a] });
    return await until<OutFrame>("the run's final report", () => conn.finalReport(id));
  } finally {
    await stop();
    agent.remove();
  }
}

describe("real engine output through a seat", () => {
  it("a Claude run throttled by the API ends rate_limited, its spend reported", async () => {
    const end = await runJob("job_claude_429", 1, [...CLAUDE_STREAM.slice(0, 4), CLAUDE_RATE_LIMITED]);
    expect(end.type).toBe("fail");
    if (end.type !== "fail") return;
    expect(end.result).toMatchObject({ outcome: "rate_limited", retryAfterSeconds: 0 });
    expect(end.insights).toMatchObject({ tokensIn: 10, tokensOut: 0, costUsd: 0.01 });
  });

  it("a Codex run that recovered and whose tests mention 429 completes with its total, counted once", async () => {
    const end = await runJob("job_codex_ok", 0, CODEX_JSONL);
    expect(end.type).toBe("complete");
    if (end.type !== "complete") return;
    expect(end.insights).toMatchObject({ tokensIn: 50_000, tokensOut: 300 });
  });

  it("a Claude run whose result is over budget.usd ends budget_exceeded", async () => {
    const end = await runJob("job_claude_over", 0, CLAUDE_STREAM, { usd: 0.1 });
    expect(end.type).toBe("fail");
    if (end.type !== "fail") return;
    expect(end.result).toMatchObject({ outcome: "budget_exceeded", retryable: false });
    expect(end.insights?.costUsd).toBe(0.123456);
  });

  it("a failed run's message says why, in the engine's own words", async () => {
    const claude = await runJob("job_claude_turns", 1, [CLAUDE_MAX_TURNS]);
    expect(claude.type === "fail" ? claude.result.message : undefined).toBe(
      "engine exited with code 1: error_max_turns",
    );
    const codex = await runJob("job_codex_sandbox", 1, [CODEX_OTHER_FAILURE]);
    expect(codex.type === "fail" ? codex.result : undefined).toMatchObject({
      outcome: "failure",
      message: "engine exited with code 1: sandbox denied: cannot write outside the workspace",
    });
  });
});
