/**
 * @module cli/read-answers
 * What each read command reads from its 2xx answer, as zod schemas, and `checked`, which refuses an answer that is
 * not that as `✘ ERROR bad_response`. The client casts a JSON answer to its type unchecked (shared/http-client): a
 * JSON answer of another shape — another service's `{"ok": true}` on the port, a proxy's JSON error page, a
 * coordinator of another version — crashed the rendering as `✘ ERROR internal: page.jobs is not iterable / this is a
 * CLI bug`, or printed `queue version undefined`. Each schema holds the fields its command renders, with the types it
 * renders them as, and no more: no enum of stages or codes, no field it never reads, unknown keys allowed — so a
 * newer coordinator's extra fields and values still show, and `--json` still prints the answer as it came (the
 * check never strips it).
 */
import { z } from "zod";
import { SPENT_SINCE_CAUSES } from "../core/budget-since.ts";
import { CliError } from "./errors.ts";

const num = z.number();
const str = z.string();
/** Absent, or null, both read as "none" by the renderers (orNone, `?.`). */
const maybe = <T extends z.ZodType>(t: T) => t.nullable().optional();

const waiting = maybe(z.object({ code: str, message: str, since: num, detail: z.record(str, z.unknown()) }));
const result = z.object({ outcome: str, rc: num.optional(), message: str.optional() });

/** `jobs`: a page of summaries (cli/commands/jobs `jobRows`). */
export const JobPageRead = z.object({
  jobs: z.array(
    z.object({
      id: str,
      stage: str,
      priority: str,
      title: str,
      attempt: num,
      maxAttempts: num,
      holderFactoryId: maybe(str),
      createdAt: num,
      waitingReason: waiting,
    }),
  ),
  nextCursor: str.optional(),
});

/** `job ID`: the job (cli/commands/job `renderJob`) … */
export const JobRead = z.object({
  id: str,
  title: str,
  stage: str,
  priority: str,
  kind: str,
  parentId: maybe(str),
  requires: z.array(str),
  prefers: z.array(str),
  engine: maybe(str),
  repo: maybe(str),
  budget: z.object({ usd: num.optional(), wallSeconds: num.optional(), tokens: num.optional() }),
  deps: z.array(str),
  depsMode: str,
  attempt: num,
  maxAttempts: num,
  leaseEpoch: num,
  holderFactoryId: maybe(str),
  leaseExpiresAt: maybe(num),
  checkpoint: maybe(z.object({ branch: str.optional(), sha: str.optional(), note: str.optional() })),
  progress: maybe(z.object({ pct: num.optional(), note: str.optional() })),
  lastResult: maybe(result),
  preemptedBy: maybe(str),
  preemptedAt: maybe(num),
  reviews: maybe(z.array(z.object({ reviewer: str, verdict: str }))),
  createdAt: num,
  updatedAt: num,
  waitingReason: waiting,
});

/** … and its runs, as `listRuns` unwraps them. */
export const RunsRead = z.array(
  z.object({
    attempt: num,
    factoryId: str,
    leaseEpoch: num,
    engine: maybe(str),
    startedAt: num,
    endedAt: num.optional(), // absent while it runs ("running"); a null would read as a 0 s run
    spend: maybe(z.object({ usd: num, tokens: num, unpricedTokens: num.optional(), estimatedUsd: num.optional() })),
    result: maybe(result),
    linkLostAt: maybe(num), // a lease expiry's: when the holder's link was lost (cli/commands/job RESULT)
    lastHeartbeatAt: maybe(num), // a lease expiry's: the holder's last beat before it (cli/commands/job RESULT)
  }),
);

/** `history`: its rows are rendered field by field, whatever each holds (cli/commands/history `text`). */
export const HistoryRead = z.object({
  kind: str,
  items: z.array(z.record(str, z.unknown())),
  nextCursor: str.optional(),
  more: z.boolean().optional(),
});

const breaker = z.object({ engine: str, state: str, consecutiveFailures: num, openUntil: maybe(num) });

/** `factories` (cli/commands/factories `factoryRows`). */
export const FactoriesRead = z.object({
  factories: z.array(
    z.object({
      id: str,
      name: str,
      status: str,
      statusReason: maybe(str),
      health: str,
      leftAt: maybe(num),
      lastHeartbeatAt: maybe(num),
      connected: maybe(z.boolean()),
      disconnectedAt: maybe(num),
      load: num,
      seats: num,
      capabilities: z.array(str),
      pendingCapabilities: maybe(z.array(str)),
      breakers: maybe(z.array(breaker)),
    }),
  ),
});

/** `dead-letters`. */
export const DeadLettersRead = z.object({
  items: z.array(z.object({ id: str, source: str, reason: str, attempts: num, at: num })),
  nextCursor: str.optional(),
  partial: z.boolean().optional(),
});

/** `dead-letters show ID`: one dead letter, where it is kept, and what a redrive would do (cli/commands/dead-letters). */
export const DeadLetterRead = z.object({
  id: str,
  source: str,
  reason: str,
  body: z.unknown(),
  attempts: num,
  at: num,
  heldBy: z.array(str),
  redrive: z.union([
    z.object({ possible: z.literal(true), queue: str }),
    z.object({ possible: z.literal(false), code: str, detail: str }),
  ]),
  partial: z.boolean().optional(),
});

/** `dead-letters redrive ID`: what was sent back where. */
export const RedrivenRead = z.object({ id: str, source: str, queue: str });

/** `artifacts ID` (cli/commands/artifacts `artifactRows`). */
export const ArtifactPageRead = z.object({
  artifacts: z.array(
    z.object({ name: str, size: num, contentType: str, uploadedBy: str, createdAt: num, sha256: str }),
  ),
  nextCursor: str.optional(),
});

/** `budget` and every budget write's answer (cli/commands/budget `formatBudget`). */
export const BudgetRead = z.object({
  period: str,
  ceilingUsd: num,
  spentUsd: num,
  state: str,
  periodStart: num,
  periodEnd: num,
  onExhausted: str,
  warnAtUsd: num,
  pausedBy: maybe(str),
  exhausted: z.boolean().optional(), // absent from older coordinators
  // Since when the spend counts (core/budget-since); absent from older coordinators.
  spentSince: num.optional(),
  spentSinceCause: z.enum(SPENT_SINCE_CAUSES).optional(),
  changedAt: num.optional(),
  burndown: z.array(z.object({ at: num, spentUsd: num })),
  unpricedTokens: num.optional(), // absent from older coordinators
  estimatedUsd: num.optional(), // absent from older coordinators
  changed: z.boolean().optional(),
});

const count = z.record(str, num);

/** `metrics` (cli/commands/metrics `formatMetrics`); `factoryWindowMs` may be absent (an older coordinator). */
export const MetricsRead = z.object({
  queue: z.object({ depthByStage: count }),
  // `disconnected`, `disconnectedFactories`: absent from older coordinators.
  seats: z.object({
    busy: num,
    total: num,
    utilisation: num,
    disconnected: num.optional(),
    disconnectedFactories: num.optional(),
  }),
  dispatchLatencyMs: z.object({
    buckets: z.array(z.object({ le: z.union([num, z.literal("+Inf")]), count: num })),
    count: num,
  }),
  leaseExpiries: num,
  retries: num,
  openAlerts: z.object({ critical: num, warning: num, info: num }),
  budget: maybe(z.object({ spentUsd: num, ceilingUsd: num, period: str, state: str })),
  // Absent from older coordinators (the `dispatch` line is then left out).
  dispatchPaused: z.boolean().optional(),
  dispatchPausedBy: str.optional(),
  breakers: z.array(breaker.extend({ factoryId: str })),
  factories: z.array(z.object({ id: str.optional(), name: str, runs: num, successes: num, successRate: num })),
  factoryWindowMs: num.optional(),
});

/** `stats`. */
export const StatsRead = z.object({ counts: count, total: num, queueVersion: num.optional() });

/**
 * A code or token the CLI prints inside a command for a host's shell (`enroll`, `factory rotate`): what the API mints
 * (`gfe_<product>_<base64url>`, `gf_…`), one shell word. Printed unchecked, an answer's `x; curl … | sh` was a command
 * for the operator to paste on the host, and a missing one read `--code undefined`.
 */
const shellWord = str.regex(/^[A-Za-z0-9_.~-]{1,1024}$/, "one word of letters, digits and _ . ~ -");

/** `enroll`: the one-time code. */
export const EnrollmentCodeRead = z.object({ code: shellWord, expiresAt: num });

/** `enroll --direct`, `factory rotate`: the factory token, shown once. */
export const EnrolledRead = z.object({
  factoryId: str,
  token: shellWord,
  factory: z.object({ name: str, capabilities: z.array(str), seats: num }),
});

/** `queue-state`. */
export const QueueStateRead = z.object({ version: num });

/**
 * `doc` as it came when `schema` takes it (never the parsed copy: zod strips unknown keys, and `--json` prints the
 * answer whole), typed as the caller's `T`.
 * @param what the answer in words, for the message: "a page of jobs"
 * @throws CliError bad_response — naming the first field that is not what the command reads
 */
export function checked<T>(schema: z.ZodType, doc: T, what: string): T {
  const parsed = schema.safeParse(doc);
  if (parsed.success) return doc;
  const issue = parsed.error.issues[0];
  // A path may hold the server's own keys (a record's): each is cut, so a hostile key cannot fill the line.
  const path = (issue?.path ?? []).map((k) => String(k).slice(0, 40)).join(".");
  const where = issue ? ` (${path ? `${path}: ` : ""}${issue.message})` : "";
  throw new CliError(
    "bad_response",
    `the coordinator's answer is not ${what}${where}`,
    "check that --url / GIGAFACTORY_URL points at a Gigafactory coordinator, not a proxy or another service, " +
      "and that it runs the same version as this CLI",
  );
}
