/**
 * Waiting for D1 history (workerd). What a coordinator writes to its history — audit entries, snapshots, runs —
 * reaches D1 through its outbox (a Durable Object alarm, then the history queue, whose consumer takes a batch after up
 * to 1 s, then retries) a moment after the write that made it. A test that reads `GET …/history` once right after
 * sees a row or not by timing: a test of seconds under load sees it, the same test of 100 ms alone does not.
 *
 * Wait for the rows a claim needs, each one named (`historyUntil`); for a claim that a row is absent, for all that was
 * written to be delivered (`auditDelivered`); never for time. The order rows land in is not the order they were
 * written: a record whose delivery failed waits for its retry while later ones go (outbox/due-rows: only a job's feed
 * events keep their order), a round's history above one message (100 KiB) is sent as several at once, and the history
 * consumer retries a failed message up to 60 s later while later batches land (worker/queues/retry). So one row's
 * arrival says nothing of another's.
 */
import { env, runInDurableObject } from "cloudflare:test";
import { ADMIN, api, createProduct, mintToken, P, type Reply, until } from "./client.ts";
import { shown } from "./polling.ts";

/** An audit entry as `GET …/history?kind=audit` lists it (ms for `at`). */
export interface AuditRow {
  id: string;
  at: number;
  actor: string;
  action: string;
  target: string;
  seq: number;
  part: number;
  detail: Record<string, unknown>;
}

/** A page of `GET …/history`: its items as listed. */
export interface HistoryPage<T> {
  kind: string;
  items: T[];
  nextCursor?: string;
  more: boolean;
}

/** The audit action creating a product writes in its own trail (POST /api/v1/products). */
export const PRODUCT_CREATE = "product.create";

/**
 * Reads `GET …/products/{product}/history?kind={kind}{query}` (one page; `query` such as `&jobId=j&limit=500`, each
 * parameter led by `&`) with `token` (the admin's by default) until `ok` holds of its items, and returns that answer.
 * D1 trails the coordinator by the outbox and the history queue's batching: 20 s by default (`ms`). Throws at the
 * deadline naming `what` and the last answer (test/integration/polling `until`).
 */
export function historyUntil<T = AuditRow>(
  product: string,
  kind: "audit" | "snapshots" | "runs",
  ok: (items: T[]) => boolean | undefined,
  opts: { query?: string; token?: string; ms?: number; what?: string } = {},
): Promise<Reply<HistoryPage<T>>> {
  const path = `${P(product)}/history?kind=${kind}${opts.query ?? ""}`;
  return until(
    () => api<HistoryPage<T>>("GET", path, { token: opts.token ?? ADMIN }),
    (r) => r.status === 200 && Array.isArray(r.body.items) && ok(r.body.items),
    { ms: opts.ms ?? 20_000, what: opts.what ?? `${path}: ${String(ok).replace(/\s+/g, " ").slice(0, 120)}` },
  );
}

/**
 * Creates `product` (client `createProduct`) and waits until its `product.create` audit entry is in D1. A file that
 * writes a product's history itself (history/write, or the queue consumer called directly) and compares whole pages
 * starts from here: the one record the coordinator wrote for it has landed, so nothing else lands while it reads —
 * its pages hold what it wrote and that entry (written now, so after every row of an earlier time).
 */
export async function createProductLanded(product: string): Promise<void> {
  await createProduct(product);
  await historyUntil(product, "audit", (items) => items.some((a) => a.action === PRODUCT_CREATE), {
    query: "&limit=500",
    what: `${product}'s ${PRODUCT_CREATE} audit entry in D1`,
  });
}

/** History records (not feed events, not webhook deliveries) left in `product`'s coordinator's outbox. */
async function historyLeft(product: string): Promise<number> {
  return runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) =>
    Number(state.storage.sql.exec("SELECT count(*) AS n FROM outbox WHERE kind NOT IN ('event', 'webhook')").one().n),
  );
}

/**
 * `product`'s audit entries (one page of up to 500: `GET …/history?kind=audit&limit=500{query}`, `query` such as
 * `&jobId=j` to read one target's) once every entry its coordinator had written when called is in D1, as far as a
 * test can know — for a claim that something was NOT audited, or audited exactly N times, where no row can be waited
 * for. Its outbox first holds no history record (each handed to the history queue, whatever order its sends took),
 * then a viewer token named `history-wait` minted after that, whose `token.mint` entry the queue takes behind all of
 * them, is read back (by its own target: it may be past the product's first 500); then the page is read with `token`
 * (the admin's by default: a claim about what a viewer reads passes the viewer's). Throws when the page has `more`:
 * an entry past it would go unseen, so narrow `query`. Left: a message the history consumer failed to write (D1
 * failing) comes back up to 60 s later.
 */
export async function auditDelivered(
  product: string,
  opts: { token?: string; query?: string } = {},
): Promise<AuditRow[]> {
  await until(
    () => historyLeft(product),
    (n) => n === 0,
    { ms: 20_000, what: `${product}'s outbox holding no history record` },
  );
  const { id } = await mintToken(product, "viewer", "history-wait");
  await historyUntil(product, "audit", (items) => items.some((a) => a.action === "token.mint"), {
    query: `&jobId=${id}`,
    what: `${product}'s token.mint of ${id} in D1`,
  });
  const path = `${P(product)}/history?kind=audit&limit=500${opts.query ?? ""}`;
  const r = await api<HistoryPage<AuditRow>>("GET", path, { token: opts.token ?? ADMIN });
  if (r.status !== 200 || r.body.more) throw new Error(`${path}: not one whole page: ${shown(r)}`);
  return r.body.items;
}
