// The coordinator's fallback for dead letters D1 refuses (coordinator/outbox/dead-letters `keepDeadLetters`) audits
// and alerts once per call: one `outbox.dead_letter` audit record and one ALERT line naming the count and the first
// DEAD_LETTER_IDS_NAMED ids — while every dead letter is still kept and listed, each with its own reason. One each
// had been, for one bulk message of 2,600 items the coordinator refused while D1 was down, 2,600 audit records (each
// a history row and an outbox record) and 2,600 alert lines. The Worker's own line for dead letters kept nowhere
// names the first ids and the count too, not all 2,600 in one log line. A real D1 failure: the table renamed away.
import { createExecutionContext, createMessageBatch, env, getQueueResult } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { DEAD_LETTER_IDS_NAMED } from "../../src/durable-objects/coordinator/outbox/dead-letters.ts";
import worker from "../../src/worker/index.ts";
import type { DispatchMessage } from "../../src/worker/queues/messages.ts";
import { ADMIN, api, createProduct, P } from "./client";
import { historyUntil } from "./history-wait.ts";

afterEach(() => vi.restoreAllMocks());

const N = 2600;

/** A dispatch message of `n` items (each refused by the coordinator in `refusing`). */
const refusedMessage = (product: string, n: number): DispatchMessage => ({
  kind: "submit",
  productId: product,
  actor: "op",
  origin: "tracker:test",
  items: Array.from(
    { length: n },
    () => ({ manifest: { title: "t" }, bodyMd: "" }) as DispatchMessage["items"][number],
  ),
});

/** The coordinator refusing every item it is given; keeping dead letters as it does; or, `keepNone`, refusing that. */
const refusing = (keepNone = false) =>
  ({
    ...env,
    COORDINATOR: {
      getByName: (name: string) => {
        const real = env.COORDINATOR.getByName(name);
        return {
          submitMany: (_p: string, items: unknown[]) =>
            Promise.resolve({
              ok: true,
              value: items.map(() => ({ ok: false, code: "bad_request", message: "unknown dep" })),
            }),
          keepDeadLetters: (...a: Parameters<typeof real.keepDeadLetters>) =>
            keepNone ? Promise.reject(new Error("coordinator overloaded")) : real.keepDeadLetters(...a),
        };
      },
    },
  }) as unknown as Env;

async function deliver(e: Env, id: string, body: DispatchMessage) {
  const batch = createMessageBatch<DispatchMessage>("gigafactory-dispatch", [
    { id, timestamp: new Date(), attempts: 1, body },
  ]);
  const ctx = createExecutionContext();
  await worker.queue(batch as MessageBatch, e, ctx);
  return getQueueResult(batch, ctx);
}

async function withoutD1DeadLetters<T>(fn: () => Promise<T>): Promise<T> {
  await env.DB.exec("ALTER TABLE dead_letters RENAME TO dead_letters_away");
  try {
    return await fn();
  } finally {
    await env.DB.exec("ALTER TABLE dead_letters_away RENAME TO dead_letters");
  }
}

const alertLines = (spy: { mock: { calls: unknown[][] } }) =>
  spy.mock.calls.map((args) => args.map(String).join(" ")).filter((l) => l.startsWith("ALERT outbox.dead_letter"));

describe("dead letters kept in the coordinator while D1 is down", () => {
  it("2,600 refused items: all kept, one audit record and one alert line naming the count and the first ids", async () => {
    const product = "dl-fallback-audit";
    await createProduct(product);
    const errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const big = await withoutD1DeadLetters(async () => {
      const r = await deliver(refusing(), "fb-big", refusedMessage(product, N));
      // A marker: its audit record is enqueued after the big one's, so once it is in the history, so is that one.
      await deliver(refusing(), "fb-marker", refusedMessage(product, 1));
      return r;
    });
    expect(big.explicitAcks).toEqual(["fb-big"]);
    const lines = alertLines(errors);
    expect(lines).toHaveLength(2); // the big message's and the marker's
    const ids = Array.from({ length: DEAD_LETTER_IDS_NAMED }, (_, i) => `fb-big:${i}`).join(",");
    expect(lines[0]).toContain(`count=${N} ids=${ids},+${N - DEAD_LETTER_IDS_NAMED} more`);
    expect(lines[1]).toContain("id=fb-marker:0");
    type Audit = { action: string; target: string; detail: Record<string, unknown> };
    // Both entries waited for: the last one's arrival says nothing of the others' (test/integration/history-wait).
    const audits = await historyUntil<Audit>(
      product,
      "audit",
      (items) => ["fb-big:0", "fb-marker:0"].every((t) => items.some((a) => a.target === t)),
      { query: "&limit=500" },
    );
    const dead = audits.body.items.filter((a) => a.action === "outbox.dead_letter");
    expect(dead.map((a) => a.target).sort()).toEqual(["fb-big:0", "fb-marker:0"]);
    expect(dead.find((a) => a.target === "fb-big:0")?.detail).toMatchObject({
      count: N,
      ids: ids.split(","),
      sources: ["tracker:test"],
      reason: expect.stringContaining("bad_request: unknown dep (kept in the coordinator: D1 refused it"),
    });
    // Nothing lost: every dead letter kept, each listed (pages of at most 500).
    let listed = 0;
    let cursor: string | undefined;
    do {
      const q = cursor ? `&cursor=${encodeURIComponent(cursor)}` : "";
      const page = await api<{ items: unknown[]; nextCursor?: string }>(
        "GET",
        `${P(product)}/dead-letters?limit=500${q}`,
        { token: ADMIN },
      );
      listed += page.body.items.length;
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(listed).toBe(N + 1);
  });

  it("kept nowhere (the coordinator refusing too): one line with the count and the first ids, not all of them", async () => {
    const product = "dl-fallback-unkept";
    const errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const r = await withoutD1DeadLetters(() => deliver(refusing(true), "fb-unkept", refusedMessage(product, N)));
    expect(r.retryMessages.map((m: { msgId: string }) => m.msgId)).toEqual(["fb-unkept"]);
    const lines = alertLines(errors);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`unkept count=${N} ids=fb-unkept:0,`);
    expect(lines[0]).toContain(`,+${N - DEAD_LETTER_IDS_NAMED} more`);
    expect(lines[0]).not.toContain(`fb-unkept:${DEAD_LETTER_IDS_NAMED}`);
  });
});
