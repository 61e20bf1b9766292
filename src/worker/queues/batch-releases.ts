/**
 * @module worker/queues/batch-releases
 * Telling bulk batches that a queue batch's dead-lettered dispatch messages will never be delivered, in one
 * coordinator call per product (`rejectUndeliveredMany`) for all of the batch's messages settled together — where each
 * message had made its own `rejectUndelivered` call: a dead-letter batch of 100 bulk messages was 100 calls to the same
 * coordinator. A call that fails (the coordinator unreachable) leaves every message it was for to be retried; one the
 * coordinator refuses outright (a redelivery would meet the same) settles them.
 */
import { DomainError, unwrap } from "../../core/errors.ts";
import { ProductId } from "../../shared/api.ts";
import { coordinatorFor } from "../auth.ts";
import { batchIdOf } from "./messages.ts";

/** One message's share of a call: its bulk batch and its items' keys, and how to answer its `afterKept`. */
interface Pending {
  batchId: string;
  keys: string[];
  settle: (told: boolean) => void;
}

/**
 * What a dead-lettered dispatch message tells its bulk batch: the batch and the keys, read leniently (a message the
 * dispatch consumer could not parse may still name its product, its batch and its items' keys); undefined when there
 * is nothing to tell (no batch, no keys, no product).
 */
export function undeliveredOf(body: unknown): { productId: string; batchId: string; keys: string[] } | undefined {
  const m = (typeof body === "object" && body !== null ? body : {}) as Record<string, unknown>;
  const batchId = m.kind === "submit" && typeof m.origin === "string" ? batchIdOf(m.origin) : undefined;
  const keys = (Array.isArray(m.items) ? (m.items as unknown[]) : []).flatMap((item) => {
    const key = (item as { manifest?: { idempotencyKey?: unknown } } | null)?.manifest?.idempotencyKey;
    return typeof key === "string" ? [key] : [];
  });
  const product = ProductId.safeParse(m.productId);
  if (batchId === undefined || keys.length === 0 || !product.success) return undefined;
  return { productId: product.data, batchId, keys };
}

/**
 * One queue batch's releases. `after(body)` is a message's `afterKept` (worker/queues/dead-letter-calls): the releases
 * asked for in one synchronous run — as DeadLetterCalls asks for all of a call's messages at once — are sent together
 * on the next microtask, one call per product, each message's bulk batches merged.
 */
export class BatchReleases {
  private pending = new Map<string, Pending[]>();

  constructor(private readonly env: Env) {}

  /**
   * Resolves true once `body`'s bulk batch is told (or refused outright, or there is nothing to tell), false when its
   * coordinator could not be reached (the caller leaves the message for redelivery).
   */
  after(body: unknown): Promise<boolean> {
    const told = undeliveredOf(body);
    if (!told) return Promise.resolve(true);
    return new Promise((settle) => {
      if (this.pending.size === 0) queueMicrotask(() => void this.send());
      const list = this.pending.get(told.productId) ?? [];
      list.push({ batchId: told.batchId, keys: told.keys, settle });
      this.pending.set(told.productId, list);
    });
  }

  private async send(): Promise<void> {
    const pending = this.pending;
    this.pending = new Map();
    await Promise.all([...pending].map(([productId, list]) => this.sendFor(productId, list)));
  }

  private async sendFor(productId: string, list: Pending[]): Promise<void> {
    const byBatch = new Map<string, string[]>();
    for (const { batchId, keys } of list) byBatch.set(batchId, [...(byBatch.get(batchId) ?? []), ...keys]);
    const batches = [...byBatch].map(([batchId, keys]) => ({ batchId, keys }));
    const names = batches.map((b) => b.batchId).join(", ");
    let told: boolean;
    try {
      await unwrap(coordinatorFor(this.env, productId).rejectUndeliveredMany(productId, batches));
      told = true;
    } catch (err) {
      told = err instanceof DomainError;
      console.warn(
        told
          ? `batches ${names}: their coordinator refused to mark their undelivered items: ${(err as Error).message}`
          : `batches ${names}: could not mark their undelivered items (${String(err)}); redelivery follows`,
      );
    }
    for (const p of list) p.settle(told);
  }
}
