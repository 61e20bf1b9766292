/**
 * Scenario 3 — recovery: a factory holding a job (checkpoint reported) drops
 * off the network without a close frame; how long until the job is pushed to
 * a second, waiting factory. Nothing tells the coordinator the host died: the
 * lease has to run out (TTL) and the lease alarm has to fire, so this is
 * bounded below by the time left on the lease.
 */
import type { Assignment } from "../src/shared/protocol.ts";
import type { Counts } from "./counts.ts";
import { before, closeAll, startFactory, type Target, type WsFactory } from "./fleet.ts";
import { api, productPath, sleep } from "./http.ts";
import { round1 } from "./stats.ts";

const PRODUCT = "bench-recovery";

export interface RecoveryResult {
  /** kill() → the job's assign frame at the second factory; null if it never came. */
  recoveryMs: number | null;
  ttlSeconds: number;
  /** Lease time the victim still had when it was killed (from the lease's expiresAt). */
  leaseLeftAtKillMs: number;
  leaseEpochBefore: number;
  leaseEpochAfter: number | null;
  checkpointCarried: boolean;
}

async function waitFor<T>(t: Target, get: () => T | undefined, until: number): Promise<T | undefined> {
  for (;;) {
    const v = get();
    if (v !== undefined || !before(t, until)) return v;
    await sleep(5);
  }
}

export async function recovery(t: Target, c: Counts["recovery"], log: (s: string) => void): Promise<RecoveryResult> {
  const started: WsFactory[] = [];
  try {
    const deadline = performance.now() + c.deadlineMs;
    const victim = await startFactory(t, PRODUCT, "victim", { leaseTtlSeconds: c.ttlSeconds, autoComplete: false });
    started.push(victim);
    const job = await api<{ id: string }>(t.base, "POST", `${productPath(PRODUCT)}/jobs`, t.admin, {
      manifest: { title: "survivor" },
    });
    if (job.status !== 201) throw new Error(`submit: HTTP ${job.status}`);
    const a = await waitFor(t, () => victim.assignments[0], deadline);
    if (!a) throw new Error("the victim never got the job");
    const checkpoint = { branch: "gf/wip/survivor", sha: "0123abc", note: "half way" };
    const ack = await victim.request({
      type: "progress",
      jobId: a.job.id,
      leaseEpoch: a.leaseEpoch,
      stage: "building",
      checkpoint,
      logs: [{ stream: "stdout", text: "working", at: Date.now() }],
    });
    if (ack.type !== "ack") throw new Error(`progress refused: ${JSON.stringify(ack)}`);

    const rescuer = await startFactory(t, PRODUCT, "rescuer", { autoComplete: false });
    started.push(rescuer);
    let again: { a: Assignment; at: number } | undefined;
    rescuer.onAssign = (x, at) => {
      if (x.job.id === a.job.id) again ??= { a: x, at };
    };
    const killedAt = performance.now();
    const leaseLeftAtKillMs = a.expiresAt - Date.now();
    victim.kill();
    log(`victim killed with ${(leaseLeftAtKillMs / 1000).toFixed(1)} s left on its lease; waiting for the rescuer`);
    await waitFor(t, () => again, deadline);
    return {
      recoveryMs: again ? round1(again.at - killedAt) : null,
      ttlSeconds: c.ttlSeconds,
      leaseLeftAtKillMs: Math.round(leaseLeftAtKillMs),
      leaseEpochBefore: a.leaseEpoch,
      leaseEpochAfter: again?.a.leaseEpoch ?? null,
      checkpointCarried: again?.a.job.checkpoint?.sha === checkpoint.sha,
    };
  } finally {
    closeAll(started);
  }
}
