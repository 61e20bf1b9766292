/**
 * Scenario 4 — feed fan-out: many watchers on one job's event feed (the
 * WebSocket, header auth); the factory holding the job sends progress frames
 * with one log line each, stamped with performance.now() at send; latency per
 * (watcher, event) is its arrival minus that stamp. The path measured:
 * factory frame → coordinator transaction + outbox → JobFeed append →
 * broadcast to every watcher socket.
 */
import WebSocket from "ws";
import type { FeedFrame } from "../src/shared/protocol.ts";
import type { Counts } from "./counts.ts";
import { before, closeAll, pool, startFactory, type Target, type WsFactory } from "./fleet.ts";
import { api, productPath, sleep } from "./http.ts";
import { type Summary, summarize } from "./stats.ts";

const PRODUCT = "bench-fanout";
const STAMP = /^fanout k=(\d+) sent=([\d.]+)$/;

export interface FanoutResult {
  watchers: number;
  watchersReady: number;
  /** First watcher opened → last `ready`. */
  openMs: number;
  events: number;
  expected: number;
  received: number;
  latencyMs: Summary;
}

function openWatcher(url: string, admin: string, onLog: (sentAt: number, at: number) => void, timeoutMs: number) {
  const ws = new WebSocket(url, { headers: { authorization: `Bearer ${admin}` } });
  ws.on("error", () => {});
  const ready = new Promise<WebSocket>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`watcher not ready within ${timeoutMs} ms`)), timeoutMs);
    ws.once("close", (code) => reject(new Error(`watcher closed (${code}) before ready`)));
    ws.on("message", (raw) => {
      const at = performance.now();
      const frame = JSON.parse(String(raw)) as FeedFrame;
      if (frame.type === "ready") {
        clearTimeout(timer);
        resolve(ws);
      } else if (frame.type === "event" && frame.event.type === "log") {
        const lines = (frame.event.data.lines ?? []) as Array<{ text: string }>;
        for (const line of lines) {
          const m = STAMP.exec(line.text);
          if (m) onLog(Number(m[2]), at);
        }
      }
    });
  });
  return { ws, ready };
}

export async function feedFanout(t: Target, c: Counts["fanout"], log: (s: string) => void): Promise<FanoutResult> {
  const deadline = performance.now() + c.deadlineMs;
  const sockets: WebSocket[] = [];
  const started: WsFactory[] = [];
  try {
    const factory = await startFactory(t, PRODUCT, "holder", { autoComplete: false });
    started.push(factory);
    const job = await api<{ id: string }>(t.base, "POST", `${productPath(PRODUCT)}/jobs`, t.admin, {
      manifest: { title: "watched" },
    });
    if (job.status !== 201) throw new Error(`submit: HTTP ${job.status}`);
    while (!factory.assignments[0] && before(t, deadline)) await sleep(5);
    const a = factory.assignments[0];
    if (!a) throw new Error("the factory never got the job");

    const latencies: number[] = [];
    const url = `${t.base.replace(/^http/, "ws")}${productPath(PRODUCT)}/jobs/${a.job.id}/events/ws?after=0`;
    const opened = performance.now();
    const { results, errors } = await pool(
      Array.from({ length: c.watchers }, (_, i) => i),
      20,
      async () => {
        const w = openWatcher(url, t.admin, (sent, at) => latencies.push(at - sent), 30_000);
        sockets.push(w.ws);
        return w.ready;
      },
      () => before(t, deadline),
    );
    const openMs = Math.round(performance.now() - opened);
    if (errors.length) log(`${errors.length} watchers failed: ${errors[0]}`);
    log(`${results.length} watchers ready in ${openMs} ms; sending ${c.events} log lines`);

    // Paced, not awaited: each stamp is taken just before its frame leaves.
    for (let k = 0; k < c.events; k++) {
      const text = `fanout k=${k} sent=${performance.now().toFixed(3)}`;
      void factory.request({
        type: "progress",
        jobId: a.job.id,
        leaseEpoch: a.leaseEpoch,
        logs: [{ stream: "stdout", text, at: Date.now() }],
      });
      await sleep(c.intervalMs);
    }
    const expected = results.length * c.events;
    while (latencies.length < expected && before(t, deadline)) await sleep(20);
    return {
      watchers: c.watchers,
      watchersReady: results.length,
      openMs,
      events: c.events,
      expected,
      received: latencies.length,
      latencyMs: summarize(latencies),
    };
  } finally {
    for (const ws of sockets) ws.terminate();
    closeAll(started);
  }
}
