/**
 * @module cli/read-answers-ops
 * What the operator commands read from their 2xx answers (alerts, health, batch, children, enrollment-codes, the
 * factory changes, the job actions, lessons, products, login), as zod schemas for `checked` (cli/read-answers): a
 * foreign or malformed answer — another service's `{"ok": true}`, a coordinator of another version — is `✘ ERROR
 * bad_response` naming the field, where it crashed as an `internal` "CLI bug" or printed `✔ cancel: job undefined is
 * now undefined` with exit 0. As there: only the fields each command renders, with the types it renders them as,
 * unknown keys allowed, and `--json` still prints the answer as it came. The explanation `explain` reads is
 * cli/read-answers-explain.
 *
 * `inline` and `inlined` make a string from the answer safe on one line of output: a name holding a newline printed a
 * forged line of its own (`✔ factory box\n✔ factory prod is now quarantined …`), and a bidi override reordered the
 * rest of the line as a terminal shows it.
 */
import { z } from "zod";
import { oneLine } from "./table.ts";

const num = z.number();
const str = z.string();
const bool = z.boolean();
/** Absent, or null, both read as "none" by the renderers (`??`, `?.`, orNone). */
const maybe = <T extends z.ZodType>(t: T) => t.nullable().optional();

/** An alert, as `alerts` lists it and `alerts --ack` answers it (cli/commands/alerts `formatAlerts`). */
const alert = z.object({
  id: str,
  state: str,
  severity: str,
  kind: str,
  subject: str,
  openedAt: num,
  message: str,
  acknowledgedBy: maybe(str),
});
export const AlertRead = alert;
export const AlertPageRead = z.object({ alerts: z.array(alert), nextCursor: str.optional() });

/**
 * `health` (cli/commands/alerts `formatHealth`); `left`, `disconnected` and `inBackoff` are absent from older
 * coordinators.
 */
export const HealthRead = z.object({
  status: str,
  factories: z.object({ ok: num, degraded: num, down: num, left: num.optional(), disconnected: num.optional() }),
  openAlerts: z.object({ total: num, critical: num, warning: num, info: num }),
  queued: num,
  inBackoff: num.optional(),
  oldestQueuedAt: maybe(num),
  building: num,
  lastFinishedAt: maybe(num),
  thresholds: z.object({
    stuckAfterMinutes: num,
    starvingAfterMinutes: num,
    expectedFinishIntervalMinutes: num,
  }),
});

/** `batch ID` (cli/commands/batch `batchSummary`, `batchRows`). */
export const BatchRead = z.object({
  id: str,
  total: num,
  created: num,
  // A server from before `existing` counted an item sent again as `created`: read as none.
  existing: maybe(num),
  queued: num,
  rejected: num,
  done: bool,
  // A server from before `jobs`/`repeatOf` (core/batch-repeats) sends neither: read as no repeats.
  jobs: maybe(num),
  items: z.array(
    z.object({
      index: num,
      status: str,
      jobId: maybe(str),
      code: maybe(str),
      key: maybe(str),
      repeatOf: maybe(num),
    }),
  ),
});

/** `children ID FILE`: the parent and the children made (or made before, for a replay). */
export const ChildrenRead = z.object({
  parent: z.object({ id: str, stage: str }),
  children: z.array(z.object({ id: str, title: str, stage: str, deps: z.array(str) })),
});

/** `enrollment-codes`: the live codes, by id. */
export const EnrollmentCodesRead = z.object({
  codes: z.array(
    z.object({
      id: str,
      name: maybe(str),
      seats: maybe(num),
      mintedBy: maybe(str),
      createdAt: num,
      expiresAt: num,
    }),
  ),
});

/** `enrollment-codes revoke ID`. */
export const EnrollmentCodeRevokedRead = z.object({ id: str, changed: bool, state: str });

/** A factory as `factory drain|quarantine|activate|release|revoke` print it. */
export const FactoryChangedRead = z.object({ id: str, name: str, status: str, changed: z.boolean().optional() });

/** `factory breaker-reset`: the breaker now (closed), and whether the reset changed it. */
export const BreakerResetRead = z.object({ factoryId: str, engine: str, state: str, changed: bool });

/** `factory approve`: what it is routed on now, with how many seats. */
export const FactoryGrantRead = z.object({
  id: str,
  name: str,
  capabilities: z.array(str),
  seats: num,
  seatLimit: maybe(num),
  pendingCapabilities: maybe(z.array(str)),
  changed: bool.optional(),
});

/** `factory rm`. */
export const DeregisteredRead = z.object({ requeued: num });

/**
 * The fleet a factory NAME is resolved in (cli/factory-ref) before a change is sent: an id of another type went into
 * the change's path as `[object Object]`, a write to a factory nobody named.
 */
export const FleetRefsRead = z.object({
  factories: z.array(z.object({ id: str, name: str, status: str.optional() })),
});

/** `requeue|cancel|ship|approve|reject ID`: the job after the action. */
export const JobActedRead = z.object({ id: str, stage: str });

/** A lesson, as `lessons list` lists it and `lessons add|edit|archive|restore` answer it (cli/commands/lessons). */
const lesson = z.object({
  id: str,
  source: str,
  text: str,
  capabilities: z.array(str),
  engine: maybe(str),
  serialKey: maybe(str),
  editedBy: maybe(str),
  archived: maybe(bool),
  count: num,
  updatedAt: num,
  changed: bool.optional(),
});
export const LessonRead = lesson;
export const LessonPageRead = z.object({ items: z.array(lesson), nextCursor: str.optional() });

const product = z.object({ id: str, createdAt: num });
/** `products create ID`. */
export const ProductRead = product;
/** `products`, and `login`'s check of whether an admin's product exists. */
export const ProductsRead = z.object({ products: z.array(product) });

/** Bidi embeddings, overrides and isolates (U+202A–202E, U+2066–2069), as core/lessons names them. */
const BIDI = /[\u202a-\u202e\u2066-\u2069]/g;

/**
 * `s` (a string or number from an answer) on one line, as the reader's terminal shows it in that order: each run of
 * whitespace as one space (table `oneLine`) and every bidi control as U+FFFD. Control characters are left to
 * `ctx.print`, which shows them as pictures.
 */
export function inline(s: string | number): string {
  return oneLine(String(s)).replace(BIDI, "\ufffd");
}

/** A template literal whose every value is `inline`d: `` inlined`✔ factory ${f.name} is now ${f.status}` ``. */
export function inlined(parts: TemplateStringsArray, ...values: Array<string | number>): string {
  return parts.reduce((out, part, i) => out + part + (i < values.length ? inline(values[i]!) : ""), "");
}

/** Table rows with every cell `inline`d (renderTable makes each one line, but keeps bidi controls). */
export function inlineRows(rows: ReadonlyArray<readonly string[]>): string[][] {
  return rows.map((r) => r.map(inline));
}
