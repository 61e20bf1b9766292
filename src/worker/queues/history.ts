/**
 * @module worker/queues/history
 * The history queue's consumer: packed messages of outbox records (history/write `HistoryMessage`) written to D1.
 * At least once: every write is idempotent (history/write), so a redelivered batch — or a message retried after the
 * write it was part of half-landed — leaves D1 as one delivery would. A queue is a boundary too: each message and
 * each record is re-validated here, and what can never be written is kept as a dead letter at once, with the reason
 * (worker/queues/dead-letters), instead of being retried until the queue's dead-letter queue takes it with none:
 * - a malformed message (not a history message, no product): the whole message;
 * - a malformed record, or one of another product than its message's: that record (past POISON_LETTERS_PER_MESSAGE
 *   of them, all of them as one); the rest of its message lands;
 * - a message whose write D1 refused on its last delivery (`LAST_TRY`): the records D1 still refuses isolated by
 *   halving, in a bounded number of D1 calls (history-isolate), and each kept with D1's error — the whole message
 *   when D1 took none of them.
 * A batch's dead letters are kept in one call once its writes are done (worker/queues/dead-letter-calls
 * `keepForMessages`), each message acked once its own are kept; products written are recorded for the reaper
 * (history-products).
 */
import { z } from "zod";
import { counted } from "../../core/counted.ts";
import { LESSON_ID } from "../../core/lessons.ts";
import { D1_BATCH, type HistoryMessage, type HistoryRecord, writeHistory } from "../../history/write.ts";
import { EntityId, ProductId } from "../../shared/api.ts";
import { keepForMessages, type MessageLetters } from "./dead-letter-calls.ts";
import type { DeadLetter } from "./dead-letters.ts";
import { isolateRefused, LAST_TRY_D1_CALLS, type WriteBudget } from "./history-isolate.ts";
import { touchProducts } from "./history-products.ts";
import { queueRetryDelay } from "./retry.ts";

/**
 * The delivery after which the queue gives up (wrangler.toml: the history consumer's `max_retries` = 4, so 5
 * deliveries): a write that fails on it is kept as a dead letter here, with D1's error as its reason, rather than
 * left to the dead-letter queue, which knows only that delivery failed.
 */
export const LAST_TRY = 5;

const count = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

/**
 * One record as history/write takes it; the body stays open (history/rows reads it defensively, field by field), but
 * for the keys `…/history` and `…/lessons` page by: a row whose time is not a whole ms from 0 on, or whose id is not
 * one the API names jobs or lessons by (a run row's id then outgrows a cursor), could be shown by no page, or end a page
 * with a `nextCursor` the API then refuses (shared/history-cursor, api-lessons), and no reader got past it.
 */
export const RecordSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("snapshot"), body: z.looseObject({ jobId: EntityId, rev: count, at: count }) }),
  z.object({ kind: z.literal("run"), body: z.looseObject({ jobId: EntityId, leaseEpoch: count, startedAt: count }) }),
  z.object({ kind: z.literal("audit"), body: z.looseObject({ at: count }) }),
  z.object({ kind: z.literal("lesson"), body: z.looseObject({ id: z.string().regex(LESSON_ID), updatedAt: count }) }),
]);
/** A record's place: its product and outbox row (its ids in D1 derive from these, which makes every write idempotent). */
export const Envelope = z.object({ productId: ProductId, seq: count, part: count.optional() });

export const HistoryMessageSchema = z.object({
  kind: z.literal("history"),
  productId: ProductId,
  records: z.array(z.unknown()),
});

/** A message as validated: the records to write, and the dead letters of those that never can be. */
interface Parsed {
  productId: string;
  records: HistoryRecord[];
  /** Each record's place in its message (what its dead letter's id names). */
  index: number[];
  poison: DeadLetter[];
}

/**
 * Dead letters one message's records may make each: past this, its records that can never be written are kept as one
 * (`<msg>:poison`, a history message of them). A dead letter each, one 100 KB message of tiny malformed records — or
 * every message of a producer on an older schema — made thousands of rows in one D1 batch, or, with D1 refusing,
 * thousands of coordinator audit records and alerts.
 */
export const POISON_LETTERS_PER_MESSAGE = 20;

const why = (e: z.ZodError) => e.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ");

/** `msg` validated, or the dead letter it is as a whole (malformed). */
function parse(msg: Message<unknown>, now: number): Parsed | DeadLetter {
  const m = HistoryMessageSchema.safeParse(msg.body);
  const productId = (msg.body as { productId?: unknown } | null)?.productId;
  const letter = (reason: string, body: unknown, suffix = ""): DeadLetter => ({
    id: `${msg.id}${suffix}`,
    productId: m.success ? m.data.productId : typeof productId === "string" ? productId : "",
    source: "queue:history",
    reason, // cut to its bound where it is kept (dead-letters)
    body,
    attempts: msg.attempts,
    at: now,
  });
  if (!m.success) return letter(`malformed history message: ${why(m.error)}`, msg.body);
  const out: Parsed = { productId: m.data.productId, records: [], index: [], poison: [] };
  m.data.records.forEach((raw, i) => {
    const env = Envelope.safeParse(raw);
    const rec = RecordSchema.safeParse(raw);
    if (!env.success || !rec.success) {
      const error = !env.success ? env.error : (rec.error as z.ZodError);
      out.poison.push(letter(`malformed history record ${i}: ${why(error)}`, raw, `:${i}`));
    } else if (env.data.productId !== m.data.productId) {
      // Written under its own productId, it would land in another product's history.
      out.poison.push(
        letter(`history record ${i} is of product ${env.data.productId}, not ${m.data.productId}`, raw, `:${i}`),
      );
    } else {
      out.records.push({ ...env.data, ...rec.data } as HistoryRecord);
      out.index.push(i);
    }
  });
  const [first] = out.poison;
  if (first && out.poison.length > POISON_LETTERS_PER_MESSAGE) {
    const records = out.poison.map((d) => d.body);
    const reason = `${records.length} of this message's ${m.data.records.length} history records can never be written (kept together); the first: ${first.reason}`;
    out.poison = [letter(reason, { kind: "history", productId: m.data.productId, records }, ":poison")];
  }
  return out;
}

export async function historyBatch(batch: MessageBatch<HistoryMessage>, env: Env): Promise<void> {
  const now = Date.now();
  const parsed = batch.messages.map((msg) => ({ msg, p: parse(msg, now) }));
  const budget: WriteBudget = { left: LAST_TRY_D1_CALLS }; // the last tries' D1 calls, all messages together
  const good = parsed.filter((x): x is { msg: Message<HistoryMessage>; p: Parsed } => "records" in x.p);
  // Each message's dead letters, kept in one call for the batch once its writes are done (`keepForMessages`): malformed
  // messages (never well-formed: kept now, acked once kept), poison records, last tries' refusals.
  const letters: MessageLetters[] = parsed.flatMap(({ msg, p }) => ("records" in p ? [] : [{ msg, letters: [p] }]));
  let together = false;
  try {
    const records = good.flatMap((x) => x.p.records);
    await writeHistory(env.DB, records);
    await touchProducts(env, records, now);
    together = true;
    // The common case: every message whole and written — one acknowledgement for the batch.
    if (good.length === parsed.length && good.every((x) => x.p.poison.length === 0)) return batch.ackAll();
  } catch (err) {
    console.warn(`history batch of ${counted(good.length, "message")} failed, retrying one by one: ${String(err)}`);
  }
  // One bad message must not hold the others back: on failure, each is written on its own.
  for (const { msg, p } of good) {
    try {
      if (!together) {
        await writeHistory(env.DB, p.records);
        await touchProducts(env, p.records, now);
      }
      letters.push({ msg, letters: p.poison });
    } catch (err) {
      if (msg.attempts < LAST_TRY) msg.retry({ delaySeconds: queueRetryDelay(msg.attempts) });
      else letters.push({ msg, letters: await lastTry(env, msg, p, err, now, budget) });
    }
  }
  await keepForMessages(env, letters);
}

/**
 * The last delivery of a message whose write D1 refused: the records D1 still refuses isolated by halving the
 * message (worker/queues/history-isolate, within the invocation's `budget` of D1 calls), so one that D1 refuses (a
 * kind whose table or column it lacks: code deployed before its migration) takes no other record of its message to
 * the dead letters with it. When D1 took none of them, it is down, not a record: the message is one dead letter.
 * @returns the dead letters to keep: the message's poison records, each record D1 still refused (`<msg>:<i>`), and
 *   each group the budget left whole (`<msg>:<i>-<j>`, a history message of its records), with D1's error
 */
async function lastTry(
  env: Env,
  msg: Message<unknown>,
  p: Parsed,
  err: unknown,
  now: number,
  budget: WriteBudget,
): Promise<DeadLetter[]> {
  const letter = (id: string, reason: string, body: unknown): DeadLetter => ({
    id,
    productId: p.productId,
    source: "queue:history",
    reason, // cut to its bound where it is kept (dead-letters)
    body,
    attempts: msg.attempts,
    at: now,
  });
  const { records, index } = p;
  const write = (ks: number[]) =>
    writeHistory(
      env.DB,
      ks.map((k) => records[k] as HistoryRecord),
    );
  const { refused, wrote } = await isolateRefused(records.length, err, write, (n) => Math.ceil(n / D1_BATCH), budget);
  if (!wrote)
    return [
      letter(msg.id, `D1 refused the write on all ${msg.attempts} deliveries; the last: ${String(err)}`, msg.body),
    ];
  // The reaper's list: the product is on it already unless this is its first history (worker/products).
  await touchProducts(env, records, now).catch((e: unknown) =>
    console.warn(`history: products not touched: ${String(e)}`),
  );
  const letters = refused.map(({ ks, error }) => {
    const [i, j] = [index[ks[0] ?? 0], index[ks.at(-1) ?? 0]];
    const last = `on all ${msg.attempts} deliveries; the last: ${String(error)}`;
    if (ks.length === 1) return letter(`${msg.id}:${i}`, `D1 refused history record ${i} ${last}`, records[ks[0]!]);
    const body = { kind: "history", productId: p.productId, records: ks.map((k) => records[k]) };
    const why = `D1 refused history records ${i}–${j} (${ks.length}, not isolated further: the delivery's D1 calls were spent) ${last}`;
    return letter(`${msg.id}:${i}-${j}`, why, body);
  });
  return [...p.poison, ...letters];
}
