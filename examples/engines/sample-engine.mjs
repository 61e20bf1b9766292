#!/usr/bin/env node
/**
 * @module examples/sample-engine
 * The bundled sample engine: a stand-in for Claude Code or Codex that needs no
 * AI account, so a fresh checkout can watch jobs flow end to end. It follows the
 * engine contract the factory agent expects:
 *   - the job (manifest body) arrives on stdin, and in the file $GF_JOB_FILE;
 *   - $GF_JOB_ID, $GF_WORKDIR (also the cwd), $GF_ATTEMPT, $GF_FEEDBACK are set;
 *   - progress goes to stdout/stderr, one line at a time (streamed to the job's log);
 *   - edits are made in the cwd (a git workspace: the agent diffs and checkpoints it);
 *   - a last line `{"gf_insights": {"tokensIn": N, "tokensOut": N, "costUsd": X}}`
 *     reports usage; the exit code is the verdict (0 = success);
 *   - SIGTERM means stop now: the agent sends it on cancel, budget overrun or drain.
 * Claude Code and Codex need no such lines: the agent reads their own JSON output (`claude -p --output-format
 * stream-json --verbose`, `codex exec --json`, the default templates) the same way (src/agent/engine-formats.ts).
 *
 * Knobs: env GF_SAMPLE_SECONDS (default 3) sets how long it "works"; a line in
 * the job body `gf-sample-seconds: N` or `gf-sample-exit: N` overrides the
 * duration or the exit code for that job. With GF_SAMPLE_PID_DIR set it writes
 * its pid to `<dir>/<jobId>.pid` (tests use it to prove the process is gone).
 * For the policy tests, also `gf-sample-fail-attempts: N` (exit 1, a transient
 * failure, while $GF_ATTEMPT <= N) and `gf-sample-resume-seconds: N` (when the
 * work tree already holds an earlier run's notes — the run resumed from a
 * checkpoint — say so and work N seconds instead).
 * For the budget tests (issue 9), `gf-sample-cost: X` reports a total of X USD (and proportional tokens: 100 000
 * per USD, 80 % in, 20 % out) as COST_TICKS cumulative `gf_insights` lines spread over the run, the last one X,
 * so the agent's progress reports carry a growing cost the coordinator accrues as it arrives.
 * Rate limits (issue 9): `gf-sample-rate-limit: N` in the body, or env GF_SAMPLE_RATE_LIMIT=N for every job on
 * this host, makes it print `{"gf_rate_limited": {"retryAfterSeconds": N}}` and exit 1 at once: the run ends
 * `rate_limited`, the job is requeued without counting the attempt and this factory × engine's breaker opens N s.
 * Lessons: when $GF_LESSONS_FILE is set (the agent always sets it; an empty file
 * means none) it prints `sample engine: lessons: N` and one `sample engine:
 * lesson <text>` line per lesson, newest first, so a test sees them arrive.
 * A hung engine (issue 9, `stuck`): `gf-sample-hang: N` sits silent for N seconds before it works — no output, no
 * file change — while its agent keeps renewing the lease, so the job's feed goes quiet as a wedged engine's does.
 * Per-host behaviour for the learned-routing tests (issue 11), set in the agent's environment (any `GF_*` reaches the
 * engine): GF_SAMPLE_FAIL_RATE=P (0–1) fails a share P of runs — exit 1 when a hash of (job id, attempt), as a
 * fraction, is below P, so the same run always ends the same way — and GF_SAMPLE_COST=X reports X USD for
 * every job whose body names no `gf-sample-cost`.
 * Prices (the demo's estimate): `gf-sample-no-usd` on a line of its own (or `gf-sample-no-usd: 1`; `: 0` is off)
 * reports tokens and no USD, as Codex does — the tokens `gf-sample-cost` gives, or its usual ones — so the
 * coordinator charges them at the product's settings `prices` for the engine (`sample`, or `*` when the job names
 * none) as an estimate; with no price set they stay unpriced. Without it every report carries its USD.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

const jobId = process.env.GF_JOB_ID ?? "job_local";
const attempt = process.env.GF_ATTEMPT ?? "1";

function readStdin() {
  try {
    return readFileSync(0, "utf8");
  } catch {
    return "";
  }
}

const body = readStdin() || (process.env.GF_JOB_FILE ? readFileSync(process.env.GF_JOB_FILE, "utf8") : "");
const directive = (name) => {
  const m = new RegExp(`^\\s*gf-sample-${name}:\\s*(-?[\\d.]+)\\s*$`, "m").exec(body);
  return m ? Number(m[1]) : undefined;
};
// Notes an earlier run left in this work tree: the agent restored it from that run's checkpoint.
const earlier = existsSync("NOTES.md")
  ? readFileSync("NOTES.md", "utf8")
      .split("\n")
      .filter((l) => l.includes(" started: "))
  : [];
const resumeSeconds = earlier.length > 0 ? directive("resume-seconds") : undefined;
const seconds = resumeSeconds ?? directive("seconds") ?? Number(process.env.GF_SAMPLE_SECONDS ?? 3);
const failAttempts = directive("fail-attempts") ?? 0;
// A flag, so written bare; `: N` as every other directive is read too (0 turns it off).
const noUsd = /^\s*gf-sample-no-usd\s*$/m.test(body) || (directive("no-usd") ?? 0) !== 0;
/** A usage line as the engine contract has it: USD left out under `gf-sample-no-usd`. */
const insights = (tokensIn, tokensOut, usd) =>
  JSON.stringify({ gf_insights: { tokensIn, tokensOut, ...(noUsd ? {} : { costUsd: Number(usd.toFixed(6)) }) } });
/** FNV-1a of `s`, mixed by murmur3's finaliser, as a fraction in [0, 1): a stable coin per (job, attempt). */
const coin = (s) => {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return ((h ^ (h >>> 16)) >>> 0) / 2 ** 32;
};
const failRate = Number(process.env.GF_SAMPLE_FAIL_RATE ?? 0);
const exitCode =
  Number(attempt) <= failAttempts || coin(`${jobId}\n${attempt}`) < failRate ? 1 : (directive("exit") ?? 0);
const title = (
  process.env.GF_JOB_TITLE ||
  /^#\s+(.+)$/m.exec(body)?.[1] ||
  body.split("\n").find((l) => l.trim()) ||
  jobId
).trim();
const slug = title.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "").slice(0, 40) || "job";

if (process.env.GF_SAMPLE_PID_DIR) {
  mkdirSync(process.env.GF_SAMPLE_PID_DIR, { recursive: true });
  writeFileSync(path.join(process.env.GF_SAMPLE_PID_DIR, `${jobId}.pid`), String(process.pid));
}

const rateLimit = directive("rate-limit") ?? (process.env.GF_SAMPLE_RATE_LIMIT ? Number(process.env.GF_SAMPLE_RATE_LIMIT) : undefined);
if (rateLimit !== undefined) {
  console.log(`sample engine: the provider is rate limiting us, retry after ${rateLimit}s`);
  console.log(JSON.stringify({ gf_rate_limited: { retryAfterSeconds: rateLimit } }));
  process.exit(1);
}

let stopping = false;
process.on("SIGTERM", () => {
  stopping = true;
  console.log("sample engine: SIGTERM received, stopping");
  process.exit(143);
});

console.log(`sample engine: working on "${title}" (job ${jobId}, attempt ${attempt}) for ${seconds}s`);
if (earlier.length > 0) {
  const runs = `${earlier.length} run${earlier.length === 1 ? "" : "s"}`;
  console.log(`sample engine: resuming from an earlier run's work (${runs} in NOTES.md)`);
}
if (process.env.GF_FEEDBACK) console.log(`sample engine: reviewer feedback: ${process.env.GF_FEEDBACK}`);
// The job's lessons (a markdown list, newest first): counted and echoed, as a real engine would read them first.
if (process.env.GF_LESSONS_FILE !== undefined) {
  const file = process.env.GF_LESSONS_FILE;
  const lessons = existsSync(file) ? readFileSync(file, "utf8").split("\n").filter((l) => l.startsWith("- ")) : [];
  console.log(`sample engine: lessons: ${lessons.length}`);
  for (const l of lessons) console.log(`sample engine: lesson ${l.slice(2)}`);
}
// Write something at once, so even an early checkpoint has work in it.
appendFileSync("NOTES.md", `- attempt ${attempt} started: ${title}\n`);

const hang = directive("hang");
if (hang !== undefined) await new Promise((r) => setTimeout(r, hang * 1000));

const sampleCost = directive("cost") ?? (process.env.GF_SAMPLE_COST ? Number(process.env.GF_SAMPLE_COST) : undefined);
const COST_TICKS = 4; // four reports: 25 %, 50 %, 75 % during the run, 100 % at its end
const printCost = (usd) => {
  const tokens = Math.round(usd * 100_000);
  const tokensIn = Math.round(tokens * 0.8);
  console.log(insights(tokensIn, tokens - tokensIn, usd));
};
let costTick = 0;
const costTimer =
  sampleCost === undefined
    ? undefined
    : setInterval(() => {
        if (costTick < COST_TICKS - 1) printCost((sampleCost * ++costTick) / COST_TICKS);
      }, (seconds * 1000) / COST_TICKS);

const steps = Math.max(1, Math.round(seconds * 2));
for (let i = 1; i <= steps && !stopping; i++) {
  await new Promise((r) => setTimeout(r, (seconds * 1000) / steps));
  const line = `step ${i}/${steps}: ${["reading the code", "planning", "editing", "running tests"][i % 4]}`;
  (i % 5 === 0 ? console.error : console.log)(line);
}

mkdirSync("src", { recursive: true });
writeFileSync(path.join("src", `${slug}.txt`), `${title}\n\n${body}`);
appendFileSync("NOTES.md", `- attempt ${attempt} finished: ${title}\n`);
console.log(`sample engine: wrote src/${slug}.txt`);

if (sampleCost !== undefined) {
  clearInterval(costTimer);
  printCost(sampleCost);
  if (exitCode !== 0) console.error(`sample engine: failing on purpose (exit ${exitCode}, attempt ${attempt})`);
  process.exit(exitCode);
}

const tokensIn = 1000 + body.length * 4;
const tokensOut = 200 + Math.round(seconds * 50);
console.log(insights(tokensIn, tokensOut, (tokensIn * 3 + tokensOut * 15) / 1e6));
if (exitCode !== 0) console.error(`sample engine: failing on purpose (exit ${exitCode}, attempt ${attempt})`);
process.exit(exitCode);
