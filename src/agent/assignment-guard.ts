/**
 * @module agent/assignment-guard
 * What the agent checks of an assignment (an `assign` frame's, or a lease `welcome` lists) before it lets the job
 * near the host. Server frames are otherwise read loosely (shared/protocol `parseServerFrame`: the coordinator is
 * trusted, but not blindly), yet the job's id and attempt become paths on this host — the workspace
 * `<work-dir>/jobs/<id>` that a run first deletes, `<id>.job.md` beside it, `logs/<id>-a<attempt>.log` in the
 * state dir — as well as git ref names and the engine's argv and environment. A coordinator that is compromised,
 * impersonated or simply buggy could otherwise send `"id": "../../home/agent"` and have the agent delete that tree,
 * `git init` it and run the engine there.
 *
 * So the fields the agent builds paths, refs and its own control flow from are checked here with zod, to the
 * coordinator's own rules (an id is shared/api `EntityId`); an assignment that fails is refused whole: not
 * accepted, not answered, no seat taken (its lease lapses on the coordinator's side).
 */
import { z } from "zod";
import { EntityId } from "../shared/api.ts";
import type { Assignment } from "../shared/protocol.ts";

const Count = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

/** The part of an assignment the agent relies on; everything else of the job travels on as sent. */
const AssignmentShape = z.looseObject({
  job: z.looseObject({
    id: EntityId,
    title: z.string(),
    bodyMd: z.string(),
    attempt: Count,
    budget: z.looseObject({ wallSeconds: z.number().positive().optional() }),
    engine: z.string().optional(),
    repo: z.string().optional(),
  }),
  leaseEpoch: Count,
  // How long the lease is held from now (s): the seat's lapse watch counts from it, so a missing one lapsed at once.
  ttlSeconds: z.number().min(0),
  // What is left of the job's budget (shared/protocol): the run is stopped past it. Absent from older coordinators.
  allowance: z.looseObject({ usd: z.number().min(0).optional(), tokens: Count.optional() }).optional(),
  // What the run spent before (a `welcome` lease's): added to a fresh engine's reports. Absent from older coordinators;
  // so is its written part, part of its tokens (agent/run-usage folds by it): never more.
  runSpent: z
    .looseObject({ usd: z.number().min(0), tokens: Count, tokensOut: Count.optional() })
    .refine((r) => (r.tokensOut ?? 0) <= r.tokens, { path: ["tokensOut"], message: "part of tokens: at most tokens" })
    .optional(),
  // When the run started (ms epoch; a `welcome` lease's): its engine's wall timer is what is left. Optional, as above.
  runStartedAt: Count.optional(),
});

/**
 * Why `a` must not be run on this host, or undefined when it may. Never throws.
 * @returns e.g. `job.id: an id of letters, digits, '_' or '-'`
 */
export function assignmentProblem(a: unknown): string | undefined {
  const parsed = AssignmentShape.safeParse(a);
  if (parsed.success) return undefined;
  const issue = parsed.error.issues[0];
  return `${issue?.path.join(".") || "assignment"}: ${issue?.message ?? "malformed"}`;
}

/** The job id as the refusal names it: cut, and quoted, since it is exactly what was not trusted. */
export function refusedJobLabel(a: Assignment): string {
  const id = (a as { job?: { id?: unknown } } | null)?.job?.id;
  return JSON.stringify(typeof id === "string" ? id.slice(0, 80) : String(id)).slice(0, 100);
}
