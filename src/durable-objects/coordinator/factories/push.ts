/**
 * @module durable-objects/coordinator/factories/push
 * PUSH DISPATCH, the sending half: one pass plans and assigns in a transaction (dispatch/plan), then pushes
 * each factory its `assign` frame on its work-ready socket — a preempted victim's `cancel` first. Work whose
 * socket went away between planning and sending is given back at once.
 *
 * Runs after every unit that moved the queue version (a job created or a stage changed — which is when a seat
 * frees, a job is requeued or unblocked), on connect and on the alarm; there is no polling loop. So work given back
 * here asks for a pass of its own (`gaveBack`), and its dead socket leaves `ready` first: else the job waited, queued
 * and "about to be assigned" to the dead socket's factory, for an unrelated event while other factories sat idle.
 */
import { giveBack } from "../dispatch/lease-ops.ts";
import { planAndAssign } from "../dispatch/plan.ts";
import { requireJob } from "../jobs/rows.ts";
import type { Units } from "../runtime/units.ts";
import { assignFrameText } from "./assign-text.ts";
import { cancelFrame } from "./notices.ts";
import { send, type workReadySockets } from "./sockets.ts";

/** What a pass left to do: runnable work waits for a seat (dispatch/plan `waiting`); work was given back. */
export interface PushOutcome {
  waiting: boolean;
  gaveBack: boolean;
}

/**
 * `ready`: the work-ready sockets by factory id (factories/sockets `workReadySockets`, kept by factories/link); a
 * factory whose socket refused its `assign` is deleted from it (its close event may not have arrived yet).
 */
export function pushWork(ready: ReturnType<typeof workReadySockets>, units: Units): PushOutcome {
  const outcome = { waiting: false, gaveBack: false };
  if (ready.size === 0 || units.productId === "") return outcome;
  const plan = units.transact((tx) => planAndAssign(tx, ready));
  // A preempted victim's `cancel` goes first, on the socket its seat's new job is pushed on: the factory stops
  // the victim (its seat then counts as free there) before it reads the `assign` for that seat.
  for (const e of plan.evictions) {
    const target = ready.get(e.factoryId);
    if (target) send(target.ws, cancelFrame(e.jobId, e.leaseEpoch, e.reason, e.code));
  }
  for (const [factoryId, assignments] of plan.assigns) {
    const target = ready.get(factoryId);
    // Each job's document as its assignment saved it, not serialized again (factories/assign-text).
    if (target && send(target.ws, assignFrameText(assignments))) continue;
    // The socket went away between planning and sending: give the work back now, for the next pass's other sockets.
    ready.delete(factoryId);
    outcome.gaveBack = true;
    units.transact(() => {
      for (const a of assignments) giveBack(units.tx(), requireJob(units.sql, a.job.id), "factory disconnected");
    });
  }
  outcome.waiting = plan.waiting;
  return outcome;
}
