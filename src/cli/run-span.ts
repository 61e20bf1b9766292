/**
 * @module cli/run-span
 * A run's DURATION in `gigafactory job ID`: start to end, except for a run a lease expiry ended, which runs to its
 * holder's last sign of life — its link lost (`linkLostAt`), else its last heartbeat (`lastHeartbeatAt`). The
 * expiry comes a TTL or more after the host went (a `kill -9` at 21 s read "1m 32s"); the dashboard's runs table
 * says the same (dashboard/runs `runSpanWords`).
 */
import type { Run } from "../shared/responses.ts";
import { formatSpan } from "./table.ts";

/**
 * "running", "1m 32s", or for a lease expiry "21s, link lost" / "21s to last heartbeat". A sign of life outside the
 * run (a heartbeat from before it started, none at all) says nothing of it: start to the expiry, as before.
 * @param r the run (times in ms epoch)
 */
export function runSpanText(
  r: Pick<Run, "startedAt" | "endedAt" | "result"> & { linkLostAt?: number | null; lastHeartbeatAt?: number | null },
): string {
  if (r.endedAt === undefined) return "running";
  const within = (at: number | null | undefined): at is number =>
    typeof at === "number" && at >= r.startedAt && at <= (r.endedAt ?? at);
  if (r.result?.outcome === "timeout") {
    if (within(r.linkLostAt)) return `${formatSpan(r.linkLostAt - r.startedAt)}, link lost`;
    if (within(r.lastHeartbeatAt)) return `${formatSpan(r.lastHeartbeatAt - r.startedAt)} to last heartbeat`;
  }
  return formatSpan(r.endedAt - r.startedAt);
}
