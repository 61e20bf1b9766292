// A message that makes many dead letters at once — a bulk dispatch message of ~2,600 items the coordinator refuses —
// writes them to D1 as multi-row INSERTs (as many rows a statement as D1's 100 bound parameters allow) in bounded D1
// batches, not one statement per dead letter in one batch of ~2,600; its redelivery still keeps exactly one row per
// item, the first delivery's. And when D1 refuses a batch part-way, only the dead letters it had not yet taken are
// kept in the coordinator, and all are listed once.
import { createExecutionContext, createMessageBatch, env, getQueueResult } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../../src/worker/index.ts";
import { DEAD_LETTER_ROWS_PER_BATCH, DEAD_LETTER_ROWS_PER_STATEMENT } from "../../src/worker/queues/dead-letters.ts";
import { type DispatchMessage, MAX_MESSAGE_BYTES } from "../../src/worker/queues/messages.ts";
import { ADMIN, api, createProduct, P } from "./client.ts";

/** `db` with its statements (`prepare`) and batches counted; `failBatch`: the n-th batch (1-based) is refused. */
function counting(db: D1Database, failBatch?: number) {
  const seen = { statements: 0, batches: 0, boundMax: 0 };
  const wrapped = new Proxy(db, {
    get(target, key) {
      if (key === "prepare")
        return (query: string) => {
          seen.statements++;
          const stmt = target.prepare(query);
          return new Proxy(stmt, {
            get(s, k) {
              if (k === "bind")
                return (...params: unknown[]) => {
                  seen.boundMax = Math.max(seen.boundMax, params.length);
                  return s.bind(...params);
                };
              const v = Reflect.get(s, k, s) as unknown;
              return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(s) : v;
            },
          });
        };
      if (key === "batch")
        return (statements: D1PreparedStatement[]) => {
          seen.batches++;
          if (seen.batches === failBatch) return Promise.reject(new Error("D1 overloaded"));
          // The statements D1 is handed are our proxies; the binding wants its own objects back.
          return target.batch(statements);
        };
      const v = Reflect.get(target, key, target) as unknown;
      return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  return { db: wrapped, seen };
}

/** A dispatch message of `n` items, each of which the coordinator (in `refusing`) refuses. */
function refusedMessage(product: string, n: number): DispatchMessage {
  return {
    kind: "submit",
    productId: product,
    actor: "op",
    origin: "tracker:test",
    items: Array.from(
      { length: n },
      () => ({ manifest: { title: "t" }, bodyMd: "" }) as DispatchMessage["items"][number],
    ),
  };
}

const refusingEnv = (db: D1Database, n: number) =>
  ({
    ...env,
    DB: db,
    COORDINATOR: {
      getByName: (name: string) => {
        const real = env.COORDINATOR.getByName(name);
        return {
          submitMany: () =>
            Promise.resolve({
              ok: true,
              value: Array.from({ length: n }, () => ({ ok: false, code: "bad_request", message: "unknown dep" })),
            }),
          keepDeadLetters: (...a: Parameters<typeof real.keepDeadLetters>) => real.keepDeadLetters(...a),
        };
      },
    },
  }) as unknown as Env;

async function deliver(e: Env, id: string, body: DispatchMessage, attempts: number) {
  const batch = createMessageBatch<DispatchMessage>("gigafactory-dispatch", [
    { id, timestamp: new Date(), attempts, body },
  ]);
  const ctx = createExecutionContext();
  await worker.queue(batch as MessageBatch, e, ctx);
  return getQueueResult(batch, ctx);
}

const N = 2600;

describe("a dispatch message of ~2,600 items the coordinator refuses", () => {
  it("writes its dead letters in few multi-row statements and bounded batches; a redelivery keeps one row each", async () => {
    const product = "dl-batched-writes";
    const body = refusedMessage(product, N);
    expect(JSON.stringify(body).length).toBeLessThanOrEqual(MAX_MESSAGE_BYTES); // a message the queue carries
    const first = counting(env.DB);
    expect((await deliver(refusingEnv(first.db, N), "big", body, 1)).explicitAcks).toEqual(["big"]);
    // One statement per dead letter had been 2,600 statements in one batch.
    expect(DEAD_LETTER_ROWS_PER_STATEMENT).toBeGreaterThan(1);
    expect(first.seen.statements).toBeLessThanOrEqual(Math.ceil(N / DEAD_LETTER_ROWS_PER_STATEMENT));
    expect(first.seen.boundMax).toBeLessThanOrEqual(100); // D1's limit of bound parameters a statement
    expect(first.seen.batches).toBe(Math.ceil(N / DEAD_LETTER_ROWS_PER_BATCH));
    expect(first.seen.batches).toBeGreaterThan(1); // bounded: not all in one
    const rows = () =>
      env.DB.prepare(
        "SELECT COUNT(*) AS n, COUNT(DISTINCT id) AS ids, MIN(attempts) AS lo, MAX(attempts) AS hi " +
          "FROM dead_letters WHERE product_id = ?",
      )
        .bind(product)
        .first<{ n: number; ids: number; lo: number; hi: number }>();
    expect(await rows()).toEqual({ n: N, ids: N, lo: 1, hi: 1 });
    // Redelivered (its ack lost): the same ids, kept once each, the first delivery's rows untouched.
    const again = counting(env.DB);
    expect((await deliver(refusingEnv(again.db, N), "big", body, 2)).explicitAcks).toEqual(["big"]);
    expect(await rows()).toEqual({ n: N, ids: N, lo: 1, hi: 1 });
  });

  it("keeps in the coordinator only the dead letters D1 had not taken when it refused, each listed once", async () => {
    const product = "dl-batched-partial";
    await createProduct(product);
    const n = DEAD_LETTER_ROWS_PER_BATCH + 3;
    const body = refusedMessage(product, n);
    const failing = counting(env.DB, 2); // D1 takes the first batch and refuses the second
    expect((await deliver(refusingEnv(failing.db, n), "part", body, 1)).explicitAcks).toEqual(["part"]);
    const inD1 = await env.DB.prepare("SELECT COUNT(*) AS n FROM dead_letters WHERE product_id = ?")
      .bind(product)
      .first<{ n: number }>();
    expect(inD1?.n).toBe(DEAD_LETTER_ROWS_PER_BATCH);
    const ids: string[] = [];
    let cursor: string | undefined;
    do {
      const q = cursor ? `?limit=500&cursor=${cursor}` : "?limit=500";
      const page = await api<{ items: Array<{ id: string; reason: string }>; nextCursor?: string }>(
        "GET",
        `${P(product)}/dead-letters${q}`,
        { token: ADMIN },
      );
      ids.push(...page.body.items.map((d) => d.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(ids).toHaveLength(n);
    expect(new Set(ids).size).toBe(n);
    const kept = (await env.COORDINATOR.getByName(product).listDeadLetters(product, 0, 500)) as unknown as {
      ok: boolean;
      value: { items: unknown[] };
    };
    expect(kept.value.items).toHaveLength(3); // the coordinator kept only what D1 had not taken
  });
});
