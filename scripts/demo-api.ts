/**
 * @module scripts/demo-api
 * The few calls `npm start` (scripts/start.ts) makes as the demo's admin and operator, and how it shows its
 * children's output: each line prefixed with whose it is.
 */
import type { ChildProcess } from "node:child_process";
import { terminalText } from "../src/core/terminal-text.ts";

/** The demo's product, created by the first `npm start` and found by every later one. */
export const PRODUCT = "demo";

export async function api(
  url: string,
  token: string,
  method: string,
  p: string,
  body?: unknown,
  type = "application/json",
) {
  const res = await fetch(`${url}/api/v1/products/${PRODUCT}${p}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": type }) },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${p}: ${res.status} ${text}`);
  return (text ? JSON.parse(text) : null) as Record<string, unknown>;
}

/** Products are created explicitly; idempotent, so a second `npm start` on the same state just finds it. */
export async function createDemoProduct(url: string, token: string): Promise<void> {
  const res = await fetch(`${url}/api/v1/products`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({ id: PRODUCT }),
  });
  if (res.status !== 201 && res.status !== 200)
    throw new Error(`create product ${PRODUCT}: ${res.status} ${await res.text()}`);
}

export function prefixed(child: ChildProcess, label: string) {
  for (const stream of [child.stdout, child.stderr]) {
    let buf = "";
    stream?.on("data", (d: Buffer) => {
      buf += d.toString();
      const lines = buf.split("\n");
      buf = lines.pop() ?? "";
      for (const line of lines) if (line.trim()) console.log(`  [${label}] ${line}`);
    });
  }
}

/** Stages a job never leaves (core/model TERMINAL_STAGES): the operator stops looking at such a job. */
const ENDED = new Set(["shipped", "dead_letter", "cancelled"]);

/**
 * Plays the operator for one job: ships the first of `own` — the ids of the jobs this run of the demo created
 * (never replays: an idempotencyKey's earlier job may be the user's, submitted from examples/ by hand) — that
 * reaches `testing`, and says so through `say`. It never touches any other job: shipping is terminal, and a job in
 * `testing` that the demo did not create this run is an operator's to decide. Polls `GET /jobs/{id}` once a second
 * per id still open; ends when one shipped, when every own job ended, or at `stop`. Never rejects — it runs
 * unawaited beside the demo, where a rejection would crash `npm start` and orphan its agents: a ship refused
 * (someone shipped or cancelled the job first, as the README invites) is reported and ends its part; one cut short
 * by the demo stopping is not. A title is anyone's text: its control characters are shown.
 */
export async function shipFirstOwnTested(
  url: string,
  token: string,
  own: readonly string[],
  stop: AbortSignal,
  say: (line: string) => void,
): Promise<void> {
  if (own.length === 0) {
    say("  [operator] every example was already present: the demo ships only jobs it submitted in this run");
    return;
  }
  const open = new Set(own);
  while (!stop.aborted && open.size > 0) {
    for (const id of open) {
      const job = (await api(url, token, "GET", `/jobs/${encodeURIComponent(id)}`).catch(() => null)) as {
        id?: string;
        title?: string;
        stage?: string;
      } | null;
      if (stop.aborted) return;
      if (job?.stage && ENDED.has(job.stage)) open.delete(id);
      if (job?.stage !== "testing") continue;
      try {
        await api(url, token, "POST", `/jobs/${encodeURIComponent(id)}/actions/ship`, {
          note: "shipped by the demo operator",
        });
        say(terminalText(`  [operator] shipped ${id} "${job.title}" (you would type: npx gigafactory ship ${id})`));
      } catch (err) {
        if (!stop.aborted) say(terminalText(`  [operator] could not ship ${id}: ${firstLine(err)}`));
      }
      return;
    }
    if (open.size > 0) await new Promise((r) => setTimeout(r, 1000));
  }
}

const firstLine = (err: unknown): string => (err instanceof Error ? err.message : String(err)).split("\n")[0] ?? "";
