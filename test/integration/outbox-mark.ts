// A retention purge's mark as the coordinator takes it (coordinator/jobs/retention `stillDue`), for tests that call a
// JobFeed's `purge` themselves: records enqueued up to it are of the purged life and dropped, later ones kept.
import { env, runInDurableObject } from "cloudflare:test";

/** The last outbox seq `product`'s coordinator has handed out (its AUTOINCREMENT counter; 0 before any). */
export async function outboxMark(product: string): Promise<number> {
  return runInDurableObject(
    env.COORDINATOR.getByName(product),
    (_i, state) =>
      state.storage.sql.exec<{ seq: number }>("SELECT seq FROM sqlite_sequence WHERE name = 'outbox'").toArray()[0]
        ?.seq ?? 0,
  );
}
