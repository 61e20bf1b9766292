// The wall clock under e2e files whose factories are plain HTTP callers (no agent process): the product's own timers
// run on it, and a loaded CI box stretches a file past them — a lease granted the product's 60 s lapses (a failed run
// that can quarantine the factory), a breaker half-opens after its 60 s cool-down, a factory silent for 30 s is
// degraded and for 60 s down (its seats no longer counted). Seen red in CI: dashboard-money (all four), cli (a
// factory's health read `degraded`).
// A file whose assertions need such a state to hold sets it to hold, as an operator or a live host would:
// `LONG_LIVED` (the longest lease and cool-down the settings allow) and `keepBeating` (heartbeats, as every host sends).
import type { ProductClient } from "./product-client.ts";

/** The settings patch that keeps leases and open breakers for an hour (core/lease LEASE_TTL.maxSeconds: 3600 s). */
export const LONG_LIVED = Object.freeze({
  leaseTtlSeconds: 3600,
  breaker: { coolDownSeconds: 3600, maxCoolDownSeconds: 3600 },
});

/**
 * `PATCH …/settings` with `LONG_LIVED` merged under `extra` (extra wins key by key at the top level).
 * @throws Error — the coordinator refused the patch (its status and body in the message)
 */
export async function setLongLived(c: ProductClient, extra: Record<string, unknown> = {}): Promise<void> {
  const r = await c.api("PATCH", "/settings", { ...LONG_LIVED, ...extra });
  if (r.status !== 200) throw new Error(`settings: ${r.status} ${JSON.stringify(r.body)}`);
}

/** A live host's beat interval is 15 s (core/lease HEARTBEAT); 10 s keeps a test factory `ok` with room to spare. */
const BEAT_MS = 10_000;

/**
 * Heartbeats (`POST …/factories/heartbeat`, empty body) for the factory tokens `tokens()` returns, now and every 10 s,
 * so HTTP-only test factories stay `ok` however long the file runs. A failed beat is ignored (the server may be
 * closing); the next one tries again.
 * @returns stop: clears the interval (call it in afterAll, before the server closes)
 */
export function keepBeating(c: ProductClient, tokens: () => readonly string[]): () => void {
  const beat = () => {
    for (const t of tokens()) if (t) void c.api("POST", "/factories/heartbeat", {}, t).catch(() => {});
  };
  beat();
  const timer = setInterval(beat, BEAT_MS);
  return () => clearInterval(timer);
}
