/**
 * @module core/waiting-queued
 * The words for a queued job's waiting reason: job-wide gates (budget pause, frozen or held serial key), the
 * fleet causes of core/waiting-fleet in plain language with their detail, and the `preempted` wrapper. The
 * order they are asked in is core/waiting's.
 */
import { breakerWords } from "./breaker-waiting.ts";
import { budgetPausedWords } from "./budget-pause.ts";
import type { Job } from "./model.ts";
import type { RouteContext } from "./router.ts";
import { holdMessage, type SerialHold } from "./serial-holds.ts";
import { DISCONNECTED_FIX, instantWords } from "./waiting-commands.ts";
import { alsoExcludedWords, excludedWords, keptWords, revokedWords } from "./waiting-excluded.ts";
import type { FleetCause } from "./waiting-fleet.ts";
import type { WaitingReason } from "./waiting-reason.ts";

export function reason(
  code: WaitingReason["code"],
  message: string,
  since: number,
  detail: Record<string, unknown>,
): WaitingReason {
  return { code, message, since, detail };
}

/**
 * Factories named in one reason: a list page carries a reason per job, so a fleet of a thousand must not be
 * repeated in each (`factoryCount` says how many there were).
 */
export const MAX_NAMED_FACTORIES = 5;

export function names(list: ReadonlyArray<{ name: string }>): string {
  const shown = list.slice(0, MAX_NAMED_FACTORIES).map((f) => f.name);
  const more = list.length - shown.length;
  return more > 0 ? `${shown.join(", ")} and ${more} more` : shown.join(", ");
}

const withStatus = (list: ReadonlyArray<{ name: string; status: string }>) =>
  list.map((f) => ({ name: `${f.name} (${f.status})` }));

/** `factories` cut to MAX_NAMED_FACTORIES, with the full count. */
function named<T>(list: readonly T[]): { factories: T[]; factoryCount: number } {
  return { factories: list.slice(0, MAX_NAMED_FACTORIES), factoryCount: list.length };
}

/** Whether `word` (a key, an id: text from elsewhere) can go into a command a person pastes into a shell as is. */
const pastable = (word: string): boolean => /^[\w.:@/-]{1,128}$/.test(word);

/**
 * A job-wide gate of the router's filter. "hard": an operator's decision that holds whatever the fleet does —
 * the product's budget pause, then a frozen serial key. "held": the serial key is held by a running job
 * (`holders` names it when known), or — with no running holder — by a run whose lease was taken by force while its
 * factory stops it (`stops`, core/serial-holds: `detail.stopping` says which run and until when at the latest).
 */
export function gateReason(
  job: Job,
  ctx: RouteContext,
  kind: "hard" | "held",
  holders?: ReadonlyMap<string, string>,
  stops?: ReadonlyMap<string, SerialHold>,
  frozenAt?: ReadonlyMap<string, number>,
): WaitingReason | undefined {
  const key = job.serialKey;
  if (kind === "hard") {
    if (ctx.budgetPaused) {
      // Who paused, the spend against the ceiling and what ends it (core/budget-pause).
      const { message, detail } = budgetPausedWords(ctx.budgetPause);
      return reason("budget_paused", message, job.queuedAt, detail);
    }
    if (key !== undefined && ctx.frozenSerialKeys?.has(key)) {
      // The freeze's own instant when it came after the job queued: "frozen since 3 h ago" for a key frozen 5 min ago
      // sent an operator looking for an old decision.
      const at = frozenAt?.get(key);
      const since = Math.max(job.queuedAt, at ?? job.queuedAt);
      const unfreeze = `\`gigafactory serial unfreeze ${pastable(key) ? key : "KEY"}\``;
      return reason("serial_key_frozen", `serial key ${key} is frozen — ${unfreeze} lets its jobs run`, since, {
        serialKey: key,
        ...(at !== undefined ? { frozenAt: at } : {}), // when an operator froze it (ms epoch), where known
      });
    }
    return undefined;
  }
  if (key === undefined || !ctx.busySerialKeys?.has(key)) return undefined;
  const holder = holders?.get(key);
  const stop = holder === undefined ? stops?.get(key) : undefined;
  if (stop) {
    return reason("serial_key_held", holdMessage(stop, job.id), job.queuedAt, {
      serialKey: key,
      holder: stop.jobId,
      stopping: { jobId: stop.jobId, factoryId: stop.factoryId, leaseEpoch: stop.leaseEpoch, until: stop.until },
    });
  }
  const by = holder ? ` by job ${holder}` : "";
  return reason("serial_key_held", `serial key ${key} is held${by}; it runs after`, job.queuedAt, {
    serialKey: key,
    holder: holder ?? null,
  });
}

/**
 * "waiting for an operator to approve engine:x on box-1 — run `gigafactory factory approve fac_1`": the operator's
 * step (cli/commands/factory-changes), for the first factory one approval makes capable, and who else would do.
 */
function approvalMessage(list: ReadonlyArray<{ id: string; name: string; capabilities: string[] }>): string {
  const [first, ...others] = list as [(typeof list)[number], ...typeof list];
  const also = others.length > 0 ? ` (or on ${names(others)})` : "";
  return (
    `waiting for an operator to approve ${first.capabilities.join(", ")} on ${first.name}${also} — ` +
    `run \`gigafactory factory approve ${first.id}\``
  );
}

/**
 * The fleet cause in words. "structural" answers the causes an operator must act on (enroll, reactivate, connect,
 * close a breaker); "transient" the ones that end by themselves (an exclusion's backoff, a seat freeing).
 * `lastRun`: the job's last ended run's result message (core/waiting-excluded quotes a refusal's reason from it).
 */
export function fleetReason(
  job: Job,
  fleet: FleetCause,
  kind: "structural" | "transient",
  lastRun?: () => string | undefined,
): WaitingReason | undefined {
  const since = job.queuedAt;
  if (kind === "structural") {
    switch (fleet.code) {
      case "no_capable_factory": {
        const { requires, missing, closest, pendingApproval, revoked } = fleet;
        const message = pendingApproval?.length
          ? approvalMessage(pendingApproval)
          : `${
              requires.length === 0
                ? "waiting for a factory — none is enrolled"
                : closest
                  ? `no factory has all of ${requires.join(", ")} (closest: ${closest.name} lacks ${missing.join(", ")})`
                  : `waiting for a factory with ${missing.join(", ")} — ${noneHas(fleet.enrolled ?? 0, missing.length)}`
            }${revokedWords(revoked, names, requires.length === 0)}`;
        return reason("no_capable_factory", message, since, {
          requires,
          missing,
          ...(closest ? { closest } : {}),
          ...(revoked?.length && !pendingApproval?.length ? { revoked: revoked.slice(0, MAX_NAMED_FACTORIES) } : {}),
          ...(pendingApproval?.length ? { pendingApproval: pendingApproval.slice(0, MAX_NAMED_FACTORIES) } : {}),
        });
      }
      case "factory_quarantined": {
        // The operator's step for the first quarantined one (a draining one is going away on purpose).
        const held = fleet.factories.find((f) => f.status === "quarantined");
        const release = held
          ? ` — \`gigafactory factory release ${pastable(held.id) ? held.id : "ID"}\` returns ${held.name}`
          : "";
        return reason(
          "factory_quarantined",
          `every factory that can run it is out of service: ${names(withStatus(fleet.factories))}${release}`,
          since,
          named(fleet.factories),
        );
      }
      case "factory_draining":
        return reason(
          "factory_draining",
          `every factory that can run it is draining (finishing its work, taking none): ${names(fleet.factories)}`,
          since,
          named(fleet.factories),
        );
      case "no_factory_connected": {
        // Factories stopped on purpose (drained: core/departure) are named apart: an upgrade, not an outage to chase.
        const left = fleet.left ?? [];
        const away = `left after draining: ${names(left)}`;
        const kept = fleet.excluded ?? [];
        const retry =
          fleet.retryAt === undefined ? "" : `; it retries after its backoff, at ${instantWords(fleet.retryAt)}`;
        const until = Math.min(...kept.map((k) => k.until), fleet.retryAt ?? Number.POSITIVE_INFINITY);
        const message = `${
          left.length === 0
            ? `no factory that can run it is connected (${names(fleet.factories)})`
            : fleet.factories.length === 0
              ? `no factory that can run it is connected: each was stopped on purpose (${away})`
              : `no factory that can run it is connected (${names(fleet.factories)}; ${away})`
        }${alsoExcludedWords(job, kept, names, MAX_NAMED_FACTORIES)}${retry} — ${DISCONNECTED_FIX}`;
        const detail = {
          ...(left.length > 0 ? { left: left.slice(0, MAX_NAMED_FACTORIES), leftCount: left.length } : {}),
          // `until` the first exclusion or the backoff ends: the dashboard reads the job again then (dashboard/wait-end).
          ...(Number.isFinite(until) ? { until } : {}),
          ...(kept.length > 0 ? { excluded: kept.slice(0, MAX_NAMED_FACTORIES) } : {}),
          ...(fleet.retryAt !== undefined ? { retryAt: fleet.retryAt } : {}),
        };
        return reason("no_factory_connected", message, since, { ...named(fleet.factories), ...detail });
      }
      case "breaker_open": {
        const { message, until } = breakerWords(fleet, names);
        return reason("breaker_open", message, since, {
          engine: fleet.engine,
          ...named(fleet.factories),
          // The first open one's end: the dashboard reads the job again then (dashboard/wait-end).
          ...(until !== undefined ? { until } : {}),
          ...(fleet.held ? { overflow: "hold" } : {}),
        });
      }
      default:
        return undefined;
    }
  }
  switch (fleet.code) {
    case "excluded": {
      const head = `kept from ${keptWords(fleet.factories, names, MAX_NAMED_FACTORIES)}`;
      const { message, detail } = excludedWords(job, fleet, head, lastRun);
      return reason("excluded", message, since, { until: fleet.until, ...named(fleet.factories), ...detail });
    }
    case "all_seats_busy":
      return reason("all_seats_busy", `every seat is busy on ${names(fleet.factories)}`, since, named(fleet.factories));
    default:
      return undefined;
  }
}

/**
 * A job requeued by preemption (contract: `preemptedAt`/`preemptedBy` on the document until its next assignment)
 * says so instead of a transient cause, which it keeps in `detail.waitingFor`.
 */
export function preemptedReason(job: Job, waiting: WaitingReason): WaitingReason | undefined {
  const doc = job as Job & { preemptedAt?: unknown; preemptedBy?: unknown };
  if (typeof doc.preemptedAt !== "number") return undefined;
  const by = typeof doc.preemptedBy === "string" ? doc.preemptedBy : "a critical job";
  return reason("preempted", `preempted by ${by} — ${waiting.message}`, doc.preemptedAt, {
    preemptedBy: typeof doc.preemptedBy === "string" ? doc.preemptedBy : null,
    waitingFor: waiting.code,
    ...waiting.detail,
  });
}

/**
 * Who lacks the missing capabilities, in words: "none is enrolled" alone read, with four factories enrolled that lack
 * gpu, as if the fleet were empty (a newcomer checked the agents instead of their capabilities).
 */
function noneHas(enrolled: number, missing: number): string {
  const them = missing === 1 ? "it" : "them";
  if (enrolled === 0) return "none is enrolled";
  return enrolled === 1
    ? `the 1 enrolled factory lacks ${them}`
    : `none of the ${enrolled} enrolled factories has ${them}`;
}
