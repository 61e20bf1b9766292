/**
 * @module core/manifest-schema
 * The manifest's zod schema, one for markdown frontmatter and JSON submissions alike. Every key with its default and
 * its bound (each bound says why), and the `children:` entries of a composite job, whose deps may name a sibling by
 * `#<index>`. Parsing and formatting are core/manifest.
 *
 * Two strengths of the same schema: a request's (`MANIFEST_SHAPE`, `ManifestRequestSchema`, `ChildManifestSchema`),
 * which also refuses control characters in the text a submitter names (core/plain-text), and a stored job's
 * (`ManifestInputSchema`: answers, queue messages, redrive), which does not, so a job stored before that rule — its
 * title holding an ESC, say — stays readable and deliverable.
 */
import { z } from "zod";
import { utf8Text } from "./bytes.ts";
import { MAX_CHILDREN_PER_REQUEST, ON_CHILD_FAILURE } from "./composite.ts";
import { LEASE_TTL } from "./lease.ts";
import { PRIORITIES } from "./model.ts";
import { notBlank, plainName } from "./plain-text.ts";
import { MAX_REPO_BYTES, repoProblem } from "./repo-url.ts";
import { SerialKeySchema } from "./serial-gates.ts";

/** 256 KiB: a manifest describes a task; anything bigger is a data file in the wrong place. */
export const MAX_MANIFEST_BYTES = 256 * 1024;
/** An idempotency key, wherever it is given (manifest, `Idempotency-Key` header): bytes of UTF-8. */
export const IDEMPOTENCY_KEY_MAX_BYTES = 800;

/** A capability (`os:linux`, `gpu`, `engine:claude`): what a manifest requires and a factory declares. */
export const CapabilitySchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._:/+-]{0,63}$/i, { error: "must be a capability like os:linux" });
const capability = CapabilitySchema;
const engine = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,31}$/, { error: "must be an engine name like claude" });
/**
 * A job's id. `#N` is a sibling only among one parent's children (`children`, POST …/jobs/{id}/children): elsewhere
 * (a job's own deps, a bulk item's) it was refused as "must be a job id", which did not say why `#0` is not one.
 */
const jobId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, {
  error: (issue) =>
    typeof issue.input === "string" && /^#\d+$/.test(issue.input)
      ? `must be a job id: "${issue.input}" names a sibling only among one parent's children (its \`children\`, or ` +
        "POST …/jobs/{id}/children); submit the job it names first and give its id"
      : "must be a job id (letters, digits, _, -; max 64)",
});

const titleMissing = (issue: { input: unknown }): string | undefined =>
  issue.input === undefined ? "required: add `title:` or a `# Heading` to the body" : undefined;

/** The least `budget.usd` (a manifest's, a requeue's `budgetUsd`): one micro-dollar, the unit of every spend sum. */
export const MIN_BUDGET_USD = 0.000001;

export const BudgetSchema = z.strictObject({
  // 1e-6 USD, the micro-dollar every spend sum and comparison is kept in (core/budget): a smaller budget is 0 there,
  // so the job was accepted and then ended budget_exceeded at dispatch without a run. 100k USD: far above any sane
  // single job; catches typos.
  usd: z.number().min(MIN_BUDGET_USD).max(100_000).optional(),
  wallSeconds: z.number().int().min(1).max(604_800).optional(), // 604800 s = 7 days, the longest lease chain we keep
  tokens: z.number().int().min(1).max(1e9).optional(), // 1e9 tokens: beyond any engine's per-job reality
});

// Text limits in bytes of UTF-8 (core/bytes `utf8Text`), 4× what were character limits, so no stored manifest that
// was valid becomes invalid: 800 bytes is 200 characters of any script, and fits a list row and a PR title.
const title = utf8Text(800, z.string({ error: titleMissing }).min(1));
const repo = utf8Text(MAX_REPO_BYTES) // 500 bytes: longest plausible clone URL
  .superRefine((value, ctx) => {
    const problem = repoProblem(value); // reaches `git clone` on a factory host: allow-listed forms only
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  });
const idempotencyKey = utf8Text(IDEMPOTENCY_KEY_MAX_BYTES, z.string().min(1)); // tracker keys and UUIDs fit

/** Every manifest key as a stored job holds it, in the order `formatManifest` writes them (title first). */
const STORED_SHAPE = {
  title,
  priority: z.enum(PRIORITIES).default("medium"),
  requires: z.array(capability).max(32).default([]), // 32: a real host advertises a dozen; more is a mistake
  prefers: z.array(capability).max(32).default([]), // same bound as requires
  engine: engine.optional(),
  repo: repo.optional(),
  budget: BudgetSchema.default({}),
  deps: z.array(jobId).max(100).default([]), // 100: wider fan-in belongs in a composite job
  depsMode: z.enum(["all", "any"]).default("all"),
  maxAttempts: z.number().int().min(1).max(20).default(3), // 3 tries by default; 20 bounds a retry storm
  serialKey: SerialKeySchema.optional(), // any repo path or domain name fits; the gate endpoints' rule
  idempotencyKey: idempotencyKey.optional(),
  reviewers: z.number().int().min(0).max(10).default(0), // 10 distinct approvals is already a committee
  onReject: z.enum(["fail", "requeue"]).default("fail"), // a composite has no run to redo: it fails either way
  kind: z.enum(["task", "composite"]).default("task"),
  parentId: jobId.optional(),
  // This job's own lease TTL, s (core/settings `leaseTtlFor`: it wins over the product's); LEASE_TTL's bounds.
  leaseTtlSeconds: z.number().int().min(LEASE_TTL.minSeconds).max(LEASE_TTL.maxSeconds).optional(),
  onChildFailure: z.enum(ON_CHILD_FAILURE).optional(), // composite parents only; unset = fail (core/composite)
  // The job's class label for learned routing (issue 11): 64 chars, a word like `docs` or `refactor`, not prose.
  class: z
    .string()
    .regex(/^[a-z0-9][a-z0-9._:/-]{0,63}$/i, { error: "must be a short label like docs" })
    .optional(),
};

/**
 * Every manifest key as a request gives it, in `formatManifest`'s order: a stored job's rules, and no control
 * character in the text a submitter names (core/plain-text `plainName`; capability, engine, class, job ids and the
 * serial key already allow none). A title is shown in terminals (`jobs`, `watch`), list rows, the dashboard, webhooks
 * and tracker comments: an ESC in it drove an operator's terminal, a newline forged a list row. The repo reaches
 * `git clone` and logs (repoProblem refuses C0 and DEL; this, C1 as well — 0x9B is a one-byte CSI); the idempotency key
 * is echoed in answers and errors. The Markdown body is not checked: every reader shows its controls inert (the CLI
 * through core/terminal-text, the dashboard as text), and an issue's pasted terminal output is the engine's to read.
 */
export const MANIFEST_SHAPE = {
  ...STORED_SHAPE,
  title: plainName(title, "one line, no control characters (U+0000–U+001F, U+007F–U+009F): a title is shown in lists"),
  repo: plainName(repo, "must not contain control characters (U+0000–U+001F, U+007F–U+009F)").optional(),
  idempotencyKey: notBlank(plainName(idempotencyKey)).optional(),
};

/** `#<index>`: a sibling in the same children list, by its 0-based position (resolved by coordinator/dag/children). */
const siblingRef = z.string().regex(/^#\d{1,3}$/, { error: "must be a job id or #<index> of a sibling" });

/** A `children:` entry's own keys, on top of a manifest's (`shape`: a request's or a stored job's). */
function childShape<S extends typeof STORED_SHAPE>(shape: S) {
  return {
    ...shape,
    deps: z
      .array(z.union([jobId, siblingRef]))
      .max(100)
      .default([]), // same fan-in bound as a job's deps
    bodyMd: utf8Text(MAX_MANIFEST_BYTES).optional(), // the whole request is bounded too
    parentId: z.never({ error: "set by the parent: remove parentId from a child" }).optional(),
    idempotencyKey: z.never({ error: "a child has no key of its own: the parent's key covers the request" }).optional(),
  };
}

/**
 * One entry of a `children:` list (or of `POST …/jobs/{id}/children`), as a request gives it: a manifest plus its
 * `bodyMd`, whose deps may name siblings by `#<index>`. No `parentId` (the parent is the request's) nor
 * `idempotencyKey` (the parent's key covers the whole request), and no nested `children` — give a child children with
 * its own request.
 */
export const ChildManifestSchema = z.strictObject(childShape(MANIFEST_SHAPE));

/** A submission's manifest as a request gives it (core/manifest `validateManifest`, `parseManifest`). */
export const ManifestRequestSchema = z.strictObject({
  ...MANIFEST_SHAPE,
  children: z.array(ChildManifestSchema).min(1).max(MAX_CHILDREN_PER_REQUEST).optional(),
});

/**
 * A manifest as a stored job holds it (answers, queue messages, redrive): a request's bounds without its
 * control-character rule, which came later — a job stored before it is still read and delivered.
 */
export const ManifestInputSchema = z.strictObject({
  ...STORED_SHAPE,
  children: z
    .array(z.strictObject(childShape(STORED_SHAPE)))
    .min(1)
    .max(MAX_CHILDREN_PER_REQUEST)
    .optional(),
});
export type ManifestInput = z.input<typeof ManifestInputSchema>;
