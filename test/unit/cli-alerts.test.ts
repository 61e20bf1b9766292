// `gigafactory alerts` and `health` over a real local socket: the default list asks for open and acknowledged
// alerts and shows them newest first in a table, `--state` asks for one state and refuses an unknown one as a usage
// error (exit 2, nothing sent), `--ack ID` POSTs the acknowledgement (one acknowledged already is said to be, not
// "✔ acknowledged" again), `--json` prints the API's documents, `health`
// shows the status line and names the queued jobs waiting out a retry's backoff apart from the longest wait (they
// wait only once it ends), and a refusal prints `✘ ERROR conflict: …` with a non-zero exit.
import { describe, expect, it } from "vitest";
import { captureCli, connection, stubCoordinator } from "../support/cli-harness.ts";

const NOW = 1_700_000_060_000;
const alert = (id: string, state: string) => ({
  id,
  kind: "stuck",
  severity: "warning",
  subject: "job:j1",
  message: "no event for 31 min",
  state,
  openedAt: NOW - 60_000,
  updatedAt: NOW - 60_000,
});
const HEALTH = {
  status: "degraded",
  checkedAt: NOW,
  factories: { ok: 1, degraded: 1, down: 0 },
  openAlerts: { info: 0, warning: 1, critical: 0, total: 1 },
  lastFinishedAt: null,
  oldestQueuedAt: NOW - 12 * 60_000,
  queued: 3,
  inBackoff: 1,
  building: 1,
  thresholds: { stuckAfterMinutes: 30, starvingAfterMinutes: 60, expectedFinishIntervalMinutes: 30 },
};

async function coordinator(): Promise<{ url: string; seen: string[] }> {
  const { url, lines } = await stubCoordinator(({ url }, reply) => {
    if (url.includes("/alerts/al_000000000gone/ack"))
      return reply.problem(409, {
        type: "about:blank",
        title: "Conflict",
        status: 409,
        code: "conflict",
        detail: "alert al_000000000gone is resolved already",
      });
    const acking = /\/alerts\/(al_\w+)\/ack$/.exec(url)?.[1];
    if (acking) return reply.json(200, { ...alert(acking, "acknowledged"), acknowledgedBy: "op", acknowledgedAt: NOW });
    if (url.includes("/health")) return reply.json(200, HEALTH);
    if (url.includes("state=open")) return reply.json(200, { alerts: [alert("al_0000000000a1", "open")] });
    if (url.includes("state=acknowledged"))
      return reply.json(200, { alerts: [alert("al_0000000000a2", "acknowledged")] });
    return reply.json(200, { alerts: [] });
  });
  return { url, seen: lines };
}

const cli = (url: string, ...argv: string[]) => captureCli([...argv, ...connection(url, "p")], { now: NOW });

describe("gigafactory alerts", () => {
  it("lists live alerts newest first, one state with --state, and acknowledges with --ack", async () => {
    const { url, seen } = await coordinator();
    const live = await cli(url, "alerts");
    expect(live.code).toBe(0);
    expect(live.stdout).toMatch(/^ID\s+STATE\s+SEVERITY\s+KIND\s+SUBJECT\s+OPENED\s+MESSAGE\n/);
    expect(live.stdout.indexOf("al_0000000000a2")).toBeLessThan(live.stdout.indexOf("al_0000000000a1"));
    expect(live.stdout).toMatch(/al_0000000000a1\s+open\s+warning\s+stuck\s+job:j1\s+\S+\s+no event for 31 min/);
    const one = await cli(url, "alerts", "--state", "open", "--json");
    expect(JSON.parse(one.stdout)).toEqual({ alerts: [alert("al_0000000000a1", "open")] });
    const acked = await cli(url, "alerts", "--ack", "al_0000000000a1");
    expect(acked).toMatchObject({ code: 0, stdout: "✔ acknowledged al_0000000000a1 (stuck job:j1) by op\n" });
    expect(seen.filter((s) => s.startsWith("POST"))).toEqual(["POST /api/v1/products/p/alerts/al_0000000000a1/ack"]);
  });

  it("says an alert acknowledged already was, not that it acknowledged it again", async () => {
    const { url, seen } = await coordinator();
    const again = await cli(url, "alerts", "--ack", "al_0000000000a2"); // listed as acknowledged
    expect(again).toMatchObject({
      code: 0,
      stdout: "already acknowledged — al_0000000000a2 (stuck job:j1) by op at 2023-11-14T22:14:20Z: nothing changed\n",
    });
    expect(seen.at(-1)).toBe("POST /api/v1/products/p/alerts/al_0000000000a2/ack"); // still sent: the API decides
    const json = await cli(url, "alerts", "--ack", "al_0000000000a2", "--json");
    expect(JSON.parse(json.stdout)).toMatchObject({ id: "al_0000000000a2", state: "acknowledged" });
  });

  it("refuses an unknown --state as a usage error, sending nothing, and reports the API's refusal", async () => {
    const { url, seen } = await coordinator();
    const bad = await cli(url, "alerts", "--state", "closed");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^✘ ERROR usage: --state must be one of open, acknowledged, resolved/);
    expect(seen).toEqual([]);
    const gone = await cli(url, "alerts", "--ack", "al_000000000gone");
    expect(gone.code).not.toBe(0);
    expect(gone.stderr).toMatch(/^✘ ERROR conflict: alert al_000000000gone is resolved already/);
  });
});

describe("gigafactory health", () => {
  it("shows the status, the factories and the open alerts; --json prints the document", async () => {
    const { url } = await coordinator();
    const h = await cli(url, "health");
    expect(h.stdout).toMatch(/status\s+degraded\n/);
    expect(h.stdout).toMatch(/factories\s+1 ok · 1 degraded · 0 down/);
    expect(h.stdout).toMatch(/open alerts\s+1 \(0 critical · 1 warning · 0 info\)/);
    expect(h.stdout).toMatch(/queued\s+3 · 1 in retry backoff · longest wait 12m\n/);
    expect(JSON.parse((await cli(url, "health", "--json")).stdout)).toEqual(HEALTH);
  });
});
