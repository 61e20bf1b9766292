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

/**
 * Plays the operator for one job: ships the first job that reaches `testing`, and says so through `say`. Never
 * rejects — it runs unawaited beside the demo, where a rejection would crash `npm start` and orphan its agents: a
 * ship refused (someone shipped or cancelled the job first, as the README invites) is reported and ends its part;
 * one cut short by the demo stopping is not. A title is anyone's text: its control characters are shown.
 */
export async function shipFirstTested(
  url: string,
  token: string,
  stop: AbortSignal,
  say: (line: string) => void,
): Promise<void> {
  while (!stop.aborted) {
    const page = (await api(url, token, "GET", "/jobs?stage=testing&limit=1").catch(() => null)) as {
      jobs?: Array<{ id: string; title: string }>;
    } | null;
    const job = page?.jobs?.[0];
    if (job) {
      try {
        await api(url, token, "POST", `/jobs/${job.id}/actions/ship`, { note: "shipped by the demo operator" });
        say(
          terminalText(
            `  [operator] shipped ${job.id} "${job.title}" (you would type: npx gigafactory ship ${job.id})`,
          ),
        );
        return;
      } catch (err) {
        if (!stop.aborted) say(terminalText(`  [operator] could not ship ${job.id}: ${firstLine(err)}`));
        return;
      }
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}

const firstLine = (err: unknown): string => (err instanceof Error ? err.message : String(err)).split("\n")[0] ?? "";
