/**
 * @module cli/read-answers-policy
 * What the policy and job-shaping commands read from their 2xx answers — review, serial, settings, submit, tokens,
 * tree and watch's REST reads (routing's are in cli/read-answers-routing) — as zod schemas in the style
 * of cli/read-answers (the fields each renders, with the types it renders them as; no enums, unknown keys allowed, the
 * answer never stripped, so `--json` prints it whole), and `checkedWrite`, the check of a write's own answer. Unchecked,
 * another service's `{"ok": true}` on the port crashed these commands as `✘ ERROR internal: … / this is a CLI bug`,
 * or printed `✔ Minted undefined token undefined` with exit 0; `settings set` sent its write after a read it could not
 * understand. `checkedCall` reads and checks one request's answer; `lineOf` keeps the server's text on one line.
 */
import { z } from "zod";
import type { GigafactoryClient } from "../shared/http-client.ts";
import { CliError } from "./errors.ts";
import { checked } from "./read-answers.ts";
import { MAX_EVENT_DATA_LEVELS, withinLevels } from "./sse.ts";
import { type Column, renderTable } from "./table.ts";

const num = z.number();
const str = z.string();
/** Absent, or null, both read as "none" by the renderers (`??`, `?.`). */
const maybe = <T extends z.ZodType>(t: T) => t.nullable().optional();

/** `review approve|reject ID`: the quorum after the review, and the job it moved. */
export const ReviewedRead = z.object({ required: num, approvals: num, job: z.object({ id: str, stage: str }) });

/** `reviews ID` (cli/commands/review `reviewTable`); `round` is absent from older coordinators. */
export const ReviewsRead = z.object({
  jobId: str,
  stage: str,
  round: num.optional(),
  required: num,
  approvals: num,
  reviews: z.array(
    z.object({ at: num, reviewer: str, reviewerName: str, verdict: str, counted: z.boolean(), comment: maybe(str) }),
  ),
});

/**
 * One serial key (cli/commands/serial): `stopping`, `next` and `nextDueAt` are absent from older coordinators, and
 * `next` absent reads otherwise than `next` null (`nextText`), so neither is defaulted.
 */
export const SerialGateRead = z.object({
  key: str,
  holder: maybe(str),
  stopping: maybe(z.object({ jobId: str, factoryId: str, until: num })),
  queue: z.array(str),
  next: maybe(str),
  nextDueAt: maybe(num),
  queueLength: num,
  frozen: maybe(z.object({ by: str, reason: str, at: num })),
  changed: z.boolean().optional(),
});

/** `serial list`: one page. */
export const SerialPageRead = z.object({ keys: z.array(SerialGateRead), nextCursor: str.optional() });

const numbers = <K extends string>(...keys: K[]) =>
  z.object(Object.fromEntries(keys.map((k) => [k, num])) as Record<K, typeof num>);

/**
 * `settings [get]`, and both reads of `settings set` (cli/commands/settings `formatSettings`): the one before its
 * PATCH, which is never sent when this read is not settings, and the PATCH's answer. `aging` is derived and absent
 * from older coordinators.
 */
export const SettingsRead = z.object({
  preemption: z.boolean(),
  leaseTtlSeconds: num,
  agingHorizonMinutes: num,
  aging: maybe(z.object({ message: str })),
  retry: numbers("baseSeconds", "maxSeconds", "jitter"),
  weights: z.record(str, num),
  frozenSerialKeys: z.array(str),
  budgetPaused: z.boolean(),
  overflow: str,
  breaker: numbers("failureThreshold", "coolDownSeconds", "maxCoolDownSeconds"),
  errorBudget: numbers("maxFailures", "windowMinutes"),
  health: numbers("stuckAfterMinutes", "starvingAfterMinutes", "expectedFinishIntervalMinutes"),
  prices: z.record(str, numbers("usdPerMillionIn", "usdPerMillionOut")).optional(), // absent from older coordinators
  routing: z.object({ objective: str, minSamples: num }),
});

/** `submit`: the job a manifest became, as its row shows it. */
export const SubmittedRead = z.object({ id: str, title: str, stage: str });

const token = z.object({ id: str, role: str, name: str });

/** `tokens`: the product's tokens. */
export const TokensRead = z.object({
  tokens: z.array(token.extend({ createdAt: num, revokedAt: maybe(num) })),
});

/** `tokens revoke ID`: the token revoked. */
export const TokenRead = token;

/**
 * `tokens mint`: the record and its secret, printed once on a line of its own for the operator to copy: what the API
 * mints is one word of base64url (`gf_…`), so anything else — a missing one, text with a newline or a space — is not
 * a token, never printed as one.
 */
export const MintedRead = token.extend({
  token: str.regex(/^[A-Za-z0-9_.~-]{1,1024}$/, "one word of letters, digits and _ . ~ -"),
});

/** A node of `tree ID` (cli/commands/tree `renderTree`), its children nodes too. */
const TreeNodeRead: z.ZodType = z.lazy(() =>
  z.object({
    id: str,
    title: str,
    stage: str,
    kind: str,
    deps: z.array(str),
    waitingReason: maybe(z.object({ message: str })),
    children: z.array(TreeNodeRead),
    truncated: z.boolean().optional(),
  }),
);

/** `tree ID`. */
export const TreeRead = z.object({ root: TreeNodeRead });

/**
 * Levels a `tree ID` answer may have: the API cuts a tree at 8, so this is far past any real one. The check and the
 * rendering recurse per level, and a hostile answer nested some thousands deep crashed them as `✘ ERROR internal:
 * Maximum call stack size exceeded / this is a CLI bug`.
 */
export const MAX_TREE_LEVELS = 100;

/**
 * `doc` when it is a tree `tree ID` can render: no deeper than MAX_TREE_LEVELS (measured without recursion), then
 * `TreeRead`.
 * @throws CliError bad_response — deeper than that, or not a tree
 */
export function checkedTree<T>(doc: T): T {
  const pending: Array<{ node: unknown; level: number }> = [
    { node: (doc as { root?: unknown } | null)?.root, level: 1 },
  ];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const children = (next.node as { children?: unknown } | null)?.children;
    if (!Array.isArray(children) || children.length === 0) continue;
    if (next.level >= MAX_TREE_LEVELS) {
      throw new CliError(
        "bad_response",
        `the coordinator's answer is not a job tree (more than ${MAX_TREE_LEVELS} levels deep; the API cuts a tree at 8)`,
        "check that --url / GIGAFACTORY_URL points at a Gigafactory coordinator, not a proxy or another service",
      );
    }
    for (const node of children) pending.push({ node, level: next.level + 1 });
  }
  return checked(TreeRead, doc, "a job tree");
}

/** `watch ID`'s read of the job: the stage it decides on, the reason it names when it ends for an operator. */
export const WatchedJobRead = z.object({
  stage: str,
  waitingReason: maybe(z.object({ message: str })),
  // Its last run's end, said in the closing line of a watch of a job that had ended before it began (cli/event-text).
  lastResult: maybe(z.unknown()),
});

/**
 * `watch ID`'s look-ahead (GET …/events): events it prints as the feed's (their data no deeper than the feed's may
 * be: cli/sse `withinLevels`), and the feed's last seq.
 */
export const EventPageRead = z.object({
  events: z.array(
    z.object({
      seq: num,
      type: str,
      data: z
        .record(str, z.unknown())
        .refine((d) => withinLevels(d), `nested more than ${MAX_EVENT_DATA_LEVELS} levels deep`),
    }),
  ),
  lastSeq: num,
});

/**
 * Bidi embeddings, overrides and isolates (U+202A–202E, U+2066–2069): a terminal that draws bidirectional text
 * reorders the rest of the line after one, so a server's `\u202e` made a line read otherwise than it was sent
 * ("Trojan Source"); no field these commands print needs them. Shown as U+FFFD, as core/lessons does.
 */
const BIDI = /[\u202a-\u202e\u2066-\u2069]/g;

/**
 * `text` as one line drawn in the order it was sent: each newline in it (LF, and the Unicode line and paragraph
 * separators) a space, its other spacing kept, and each bidi control (BIDI) U+FFFD. A line built with aligned fields
 * (`id  status  class …`) that quotes the server's text stays one line — a newline in that text started a line of
 * its own, forging one (cli/table `oneLine` folds every run of spaces too). CR, VT, FF and NEL are control
 * characters, which every printed line shows as pictures (core/terminal-text).
 */
export function lineOf(text: string): string {
  return text.replace(/[\n\u2028\u2029]/g, " ").replace(BIDI, "\ufffd");
}

/**
 * cli/table `renderTable` with every cell `lineOf`: the server's text in a table is drawn as sent too. `terminal`:
 * stdout's width when it is a terminal (Io.stdoutColumns), for a `wrap` last column.
 */
export function lineTable(
  columns: readonly Column[],
  rows: ReadonlyArray<readonly string[]>,
  terminal?: number,
): string {
  return renderTable(
    columns,
    rows.map((row) => row.map(lineOf)),
    terminal,
  );
}

/**
 * `checked` for the answer to a write: the write went out, so whatever the answer is, the fix says how to see what it
 * did (`check`: a command to run) — a token minted, say, whose secret the CLI could not read.
 * @throws CliError bad_response — as `checked`, its fix ending with `check`
 */
export function checkedWrite<T>(schema: z.ZodType, doc: T, what: string, check: string): T {
  try {
    return checked(schema, doc, what);
  } catch (err) {
    if (!(err instanceof CliError)) throw err;
    throw new CliError(err.code, err.message, `${err.fix}; the request was sent, so ${check}`, err.exitCode);
  }
}

/**
 * One request's JSON answer, checked to be what `read.schema` reads (cli/read-answers `checked`) before anything
 * renders it or builds a write from it, read whole: the client's own readers of a list (`listTokens`,
 * `listFactories`) read a field of the answer first, a TypeError — a CLI bug — when the answer is null.
 * @throws CliError bad_response — the answer is not `read.what`; ApiError and the transport's errors as `send`
 */
export async function checkedCall<T>(
  client: GigafactoryClient,
  method: string,
  path: string,
  read: { schema: z.ZodType; what: string },
  json?: unknown,
): Promise<T> {
  const res = await client.send(method, client.productUrl(path, {}), json === undefined ? {} : { json });
  return checked(read.schema, (await res.json()) as T, read.what);
}
