/**
 * @module agent/lease-notices
 * What the agent tells its operator when the coordinator takes a lease (`cancel`) or stops giving this factory work
 * (`drain`): each as what it is, by the frame's `code` / `status` (shared/protocol-lease-notices). Every `cancel` read
 * `job.cancelled` — a lease that expired while this host was paused or cut off looked like an operator's cancel, and
 * the operator went looking for who cancelled it. A `drain` was one `·` line: a quarantined host sat idle, connected,
 * with nothing saying why or how to get it back.
 *
 * A frame without a code (an older coordinator), or with one this agent does not know, reads as before: an
 * operator's cancel. A `welcome` of a factory still draining or quarantined is said as its `drain` was
 * (`StandingNotices`): an agent that connected after that frame heard nothing of it. Its way back (`active`: an
 * operator released or activated it) is said once too, `factory.active`: the agent kept showing "quarantined … run
 * `gigafactory factory release`" after the operator had, and the operator could not tell from its log that it worked.
 */
import {
  type ActiveNotice,
  type CancelNotice,
  cancelCodeOf,
  type DrainNotice,
  drainStatusOf,
  welcomeDrainOf,
} from "../shared/protocol-lease-notices.ts";
import type { Mark, Output } from "./output.ts";

/** How a seat says and does a `cancel`: its event, the verb after the job id, why, and how its engine is stopped. */
export interface CancelReading {
  /** `job.cancelled`, `job.lease_lost`, `job.preempted` or `job.budget_stopped` (`job.interrupted`: INTERRUPTED). */
  event: string;
  /** What happened to the job, after its id: `cancelled`, `lease lost`, `preempted`, `stopped`. */
  what: string;
  /** Why, in plain words (the frame's reason, or what its code means). */
  reason: string;
  /** Whether an operator (or a reviewer, or a parent's cancel) ended the run: else the lease was lost or taken. */
  cancelled: boolean;
  /** The frame's code, or undefined (none, or one this agent does not know). */
  code?: string;
}

/** A `cancel` frame → what its seat says and how it stops (see CancelReading). */
export function readCancel(frame: Pick<CancelNotice, "reason"> & { code?: unknown }): CancelReading {
  const code = cancelCodeOf(frame);
  const given = frame.reason?.trim() ? frame.reason : undefined;
  const lost = (reason: string): CancelReading => ({
    event: "job.lease_lost",
    what: "lease lost",
    reason,
    cancelled: false,
    code,
  });
  switch (code) {
    case "lease_expired":
      // The one loss the operator can act on here: what stopped the renewals is on this host or its network.
      return lost(
        "the lease expired before a renewal reached the coordinator (was this agent paused, the host asleep, or the" +
          " network down?); the coordinator has taken the job back",
      );
    case "revoked":
      return lost(`this factory's token was revoked (${given ?? "by an operator"}); the job goes back to the queue`);
    case "deregistered":
      return lost("this factory was deregistered; the job goes back to the queue");
    case "preempted":
      return {
        event: "job.preempted",
        what: "preempted",
        reason: "a critical job takes this seat",
        cancelled: false,
        code,
      };
    case "budget":
      return {
        event: "job.budget_stopped",
        what: "stopped",
        // The coordinator's text is "budget exhausted: $5 of $5 per day" (policies/budget-stop): a sentence here.
        reason: `the product's ${(given ?? "budget exhausted").replace(/^budget exhausted\b/, "budget is exhausted")}`,
        cancelled: true,
        code,
      };
    case "job_budget":
      return {
        event: "job.budget_stopped",
        what: "stopped",
        reason: `over its own budget: ${given ?? "spent"}`,
        cancelled: true,
        code,
      };
    default:
      return {
        event: "job.cancelled",
        what: "cancelled",
        reason: given ?? "cancelled by an operator",
        cancelled: true,
        ...(code ? { code } : {}),
      };
  }
}

/** What the agent prints on a `drain` (`factoryId`: this factory's, from `welcome`, for the command that lifts it). */
export function drainLine(
  frame: Pick<DrainNotice, "reason"> & { status?: unknown },
  factoryId: string,
): { mark: Mark; event: string; text: string; fields: Record<string, unknown> } {
  const status = drainStatusOf(frame);
  const reason = frame.reason?.trim() || status;
  const fields = { status, reason, factoryId };
  if (status === "quarantined") {
    return {
      mark: "⚠",
      event: "factory.quarantined",
      text:
        `the coordinator quarantined this factory (${reason}): it sends no new work; running jobs finish. Look at ` +
        `this host (disk, credentials, engine install), then lift it: \`gigafactory factory release ${factoryId}\``,
      fields,
    };
  }
  return {
    mark: "⚠",
    event: "factory.draining",
    text:
      `the coordinator put this factory in draining (${reason}): it sends no new work; running jobs finish. ` +
      `Return it to work: \`gigafactory factory activate ${factoryId}\``,
    fields,
  };
}

/** What the agent prints on an `active` frame: work comes again, and who said so (the frame's reason) when known. */
export function activeLine(frame: Pick<ActiveNotice, "reason">, factoryId: string): ReturnType<typeof drainLine> {
  const reason = typeof frame.reason === "string" && frame.reason.trim() ? frame.reason.trim() : undefined;
  const why = reason ? ` (${reason})` : "";
  return {
    mark: "✔",
    event: "factory.active",
    text: `the coordinator returned this factory to work${why}: it sends new work again`,
    fields: { status: "active", ...(reason ? { reason } : {}), factoryId },
  };
}

/**
 * What one agent says of its factory's standing, from `drain`/`active` frames and each `welcome`
 * (shared/protocol-lease-notices `welcomeDrainOf`). A welcome of a factory draining or quarantined is said as its
 * `drain` was: an agent that connected after the frame — restarted, or cut off then — sat idle without a word of why
 * no work came. A welcome of an active factory says `factory.active` when the last thing said was a drain or a
 * quarantine: released while the socket was down (mid-reconnect), the agent heard no `active` frame, and its log's
 * last word stayed "quarantined … run `gigafactory factory release`". Nothing for a welcome that says nothing of its
 * status (an older coordinator), or one naming a status this agent does not know.
 */
export class StandingNotices {
  /** Whether the last standing said was draining or quarantined: its way back is then worth a line. */
  private idle = false;

  /** A `drain` frame's line (`drainLine`), or an `active` one's (`activeLine`); `factoryId`: for the commands. */
  frame(out: Pick<Output, "say">, frame: DrainNotice | ActiveNotice, factoryId: string): void {
    this.idle = frame.type !== "active";
    const line = frame.type === "active" ? activeLine(frame, factoryId) : drainLine(frame, factoryId);
    out.say(line.mark, line.event, line.text, line.fields);
  }

  /** A `welcome`'s standing: said when not active, or when it is active again after this agent said otherwise. */
  welcome(out: Pick<Output, "say">, welcome: { factoryId: string; status?: unknown }): void {
    const drain = welcomeDrainOf(welcome);
    if (drain) this.frame(out, drain, welcome.factoryId);
    else if (welcome.status === "active" && this.idle)
      this.frame(out, { type: "active", reason: "" }, welcome.factoryId);
  }
}

/**
 * The line a `settings` frame earns (`·`, event `settings`), or undefined for none. `before`: the lease TTL (s) that
 * applied on this connection until now (welcome's, or the last frame's; undefined from an older coordinator); `now`:
 * the frame's, the TTL that applies from here on (the product's, or this agent's hello if shorter); `wanted`: this
 * agent's `--lease-ttl` (s), if given. The frame only says the product's TTL changed: `now === wanted` means the
 * agent's own cap governs. Demo agents (--lease-ttl 30) said "lease TTL is now 30s" after the product's went to 45s.
 */
export function leaseTtlLine(before: number | undefined, now: number, wanted: number | undefined): string | undefined {
  const capped = wanted !== undefined && now === wanted;
  if (before === now) {
    return capped
      ? `the product's lease TTL changed; this agent keeps ${now}s (its --lease-ttl ${wanted} caps it)`
      : undefined;
  }
  const why = capped ? `this agent's --lease-ttl ${wanted} caps the product's longer one` : "the product's setting";
  return `lease TTL is now ${now}s (${why})`;
}

/**
 * What an interrupted run's job is left as, nothing having told the coordinator: still leased here (the coordinator's
 * `welcome` to the next agent on this state dir lists it, and that agent resumes it from its last checkpoint in a fresh
 * work tree: agent/workspace), else requeued when its lease expires.
 */
export const STILL_LEASED =
  "the job stays leased to this factory until its lease expires, then goes back to the queue; start the agent again " +
  "before then to resume it";

/** How a seat says a run's end the agent chose, no cancel heard: its event, verb, and what becomes of the lease. */
export type OwnStop = { event: string; what: string; lease: string };

/** How a seat's `forceStop` (agent/seat-run-end) says its run's end: this agent stopped it, no cancel or lost lease. */
export const INTERRUPTED = { event: "job.interrupted", what: "interrupted", lease: STILL_LEASED } as const;

/**
 * How a seat says its run's end on a fatal close (agent/seat-stops `stopSeats`): the coordinator closed the connection
 * for good, which is all the agent knows — `lease`, what becomes of the lease as far as the close's reason tells
 * (agent/close-codes `ConnectionEnded`). Not `lease lost`: a rotated token's lease stays the factory's.
 */
export function closedForGood(lease: string): OwnStop {
  return { event: "job.connection_closed", what: "stopped", lease };
}
