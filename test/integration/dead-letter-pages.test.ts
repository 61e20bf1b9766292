// `GET …/dead-letters` pages by keyset on (at, id) across both stores (workerd, real D1 and coordinator storage): more
// dead letters than a page, most in one millisecond and split between D1 and the coordinator (one held by both), read
// one row a page, come each exactly once in one stable order — newest first, then id in byte order, as SQLite orders
// text — the same as bigger pages and as the first page an old client (no cursor) gets; dead letters arriving in the
// millisecond being read meanwhile are seen once when behind the cursor and never when ahead of it; a cursor the API
// did not issue is a 400 problem+json naming it; a stored body that is not JSON is listed as its text, not a 500.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { encodeCursorJson } from "../../src/shared/history-cursor.ts";
import type { DeadLetterPage } from "../../src/shared/http-client-types.ts";
import { type DeadLetter, recordDeadLetters } from "../../src/worker/queues/dead-letters.ts";
import { ADMIN, api, P } from "./client";

const product = "dl-pages";
const T = 1_800_000_000_000; // the poison message's millisecond

const letter = (id: string, at = T, productId = product): DeadLetter => ({
  id,
  productId,
  source: "queue:history",
  reason: "poison",
  body: { id },
  attempts: 5,
  at,
});

async function keepInCoordinator(items: DeadLetter[], productId = product): Promise<void> {
  const kept = items.map(({ productId: _p, ...d }) => ({ ...d, body: JSON.stringify(d.body) }));
  const r = await env.COORDINATOR.getByName(productId).keepDeadLetters(productId, kept);
  expect(r).toMatchObject({ ok: true });
}

async function page(q: Record<string, string | number>, productId = product) {
  const query = new URLSearchParams(Object.entries(q).map(([k, v]) => [k, String(v)]));
  return api<DeadLetterPage>("GET", `${P(productId)}/dead-letters?${query}`, { token: ADMIN });
}

/** Every id, following nextCursor from the start; `between` runs after each page that has a next. */
async function readAll(limit: number, between?: () => Promise<void>, productId = product): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | undefined;
  for (let n = 0; n < 100; n++) {
    const r = await page({ limit, ...(cursor ? { cursor } : {}) }, productId);
    expect(r.status).toBe(200);
    expect(r.body.items.length).toBeLessThanOrEqual(limit);
    ids.push(...r.body.items.map((d) => d.id));
    cursor = r.body.nextCursor;
    if (!cursor) return ids;
    await between?.();
  }
  throw new Error("nextCursor never ran out");
}

/** Id down in UTF-8 byte order (SQLite's): U+1F600 (F0 …) above U+FF5E (EF …), unlike in UTF-16 (D83D < FF5E). */
function byBytes(a: string, b: string): number {
  const [x, y] = [new TextEncoder().encode(b), new TextEncoder().encode(a)];
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return (x[i] ?? 0) - (y[i] ?? 0);
  return x.length - y.length;
}

describe("dead-letter pages", () => {
  it("reads every dead letter of both stores exactly once, in one stable order, one row a page", async () => {
    // A poison message's many dead letters in one millisecond, split between D1 and the coordinator (the order the
    // ids are written in is not their order); `m:both` is in both stores; one older and one newer around them.
    const inD1 = ["m:07", "m:02", "m:both", "m:11", "m:04", "m:x\u{FF5E}", "m:09"].map((id) => letter(id));
    const inCoordinator = ["m:10", "m:05", "m:both", "m:x\u{1F600}", "m:01", "m:08", "m:03"].map((id) => letter(id));
    await recordDeadLetters(env.DB, [...inD1, letter("older", T - 1), letter("newer", T + 1)]);
    await keepInCoordinator(inCoordinator);
    const same = [...new Set([...inD1, ...inCoordinator].map((d) => d.id))].sort(byBytes);
    const expected = ["newer", ...same, "older"];
    expect(expected.length).toBe(15);

    expect(await readAll(1)).toEqual(expected);
    expect(await readAll(4)).toEqual(expected);
    // An old client (no cursor): the newest `limit`, as before — now with the cursor to go on.
    const first = await page({ limit: 3 });
    expect(first.body.items.map((d) => d.id)).toEqual(expected.slice(0, 3));
    expect(first.body.nextCursor).toEqual(expect.any(String));
    // `since` still bounds the time from below, across pages too.
    const sinceT: string[] = [];
    let cursor: string | undefined;
    do {
      const r = await page({ limit: 5, since: T, ...(cursor ? { cursor } : {}) });
      sinceT.push(...r.body.items.map((d) => d.id));
      cursor = r.body.nextCursor;
    } while (cursor);
    expect(sinceT).toEqual(expected.slice(0, -1));
  });

  it("sees a dead letter of the millisecond being read that arrives behind the cursor once, one ahead of it never", async () => {
    const seeds = Array.from({ length: 10 }, (_, i) => letter(`m:1${i}`, T, "dl-arrivals"));
    await recordDeadLetters(
      env.DB,
      seeds.filter((_, i) => i % 2 === 0),
    );
    await keepInCoordinator(
      seeds.filter((_, i) => i % 2 === 1),
      "dl-arrivals",
    );
    let n = 0;
    const ids = await readAll(
      1,
      async () => {
        // After each page, two more in the same millisecond, alternately in each store: one sorting first in it (ahead
        // of the cursor: the reader has passed its place) and one sorting after every seed (behind it, while the
        // reader is among the seeds).
        n++;
        const made = [
          letter(`m:z${n}`, T, "dl-arrivals"),
          letter(`m:0${String(n).padStart(4, "0")}`, T, "dl-arrivals"),
        ];
        if (n % 2) await recordDeadLetters(env.DB, made);
        else await keepInCoordinator(made, "dl-arrivals");
      },
      "dl-arrivals",
    );
    // The seeds, then the ten that arrived behind the reader while it read them (the later ones arrived ahead of it).
    const behind = Array.from({ length: 10 }, (_, i) => `m:0${String(10 - i).padStart(4, "0")}`);
    expect(ids).toEqual([...seeds.map((d) => d.id).reverse(), ...behind]);
  });

  it("refuses a cursor it did not issue with a 400 problem+json naming it, never a 5xx", async () => {
    const bad = [
      "not a cursor!",
      "x".repeat(3000),
      encodeCursorJson({ at: T }), // no id
      encodeCursorJson({ at: -1, id: "m:01" }),
      encodeCursorJson({ at: T, id: "" }),
      encodeCursorJson({ at: T, id: "m:01", more: 1 }),
      encodeCursorJson({ k: "runs", at: T, id: "r1" }), // a history cursor
      btoa("{ not json"),
    ];
    for (const cursor of bad) {
      const r = await page({ cursor });
      expect(r.status, cursor).toBe(400);
      expect(r.headers.get("content-type")).toContain("application/problem+json");
      expect(r.body).toMatchObject({ code: "validation_failed" });
      expect(JSON.stringify(r.body)).toContain("must be a nextCursor from an earlier page of dead letters");
    }
  });

  // A dead letter's body is up to a queue message (128 KiB). A page of 500 such was 64 MiB from the coordinator, past
  // the 32 MiB a Durable Object RPC may return: `dead-letters --all` answered 500 every time, and nothing could be
  // listed. Pages now stop at a body budget per store, and still list each exactly once.
  it("pages dead letters with queue-message-sized bodies (more than an RPC holds at 500) without a 5xx, each once", async () => {
    const big = "dl-pages-big";
    const blob = "x".repeat(120 * 1024);
    await keepInCoordinator([letter("first", T, big)], big); // binds the coordinator to its product
    await runInDurableObject(env.COORDINATOR.getByName(big), (_i, state) => {
      for (let i = 0; i < 320; i++)
        state.storage.sql.exec(
          "INSERT INTO dead_letters(id, source, reason, body, attempts, at) VALUES (?, 'queue:history', 'D1 refused', ?, 5, ?)",
          `co-${String(i).padStart(3, "0")}`,
          JSON.stringify({ blob }),
          T - i,
        );
    });
    const inD1 = Array.from({ length: 60 }, (_, i) => ({ ...letter(`d1-${i}`, T - 2 * i, big), body: { blob } }));
    for (let i = 0; i < inD1.length; i += 10) await recordDeadLetters(env.DB, inD1.slice(i, i + 10));
    const ids = await readAll(500, undefined, big);
    expect(ids).toHaveLength(1 + 320 + 60);
    expect(new Set(ids).size).toBe(ids.length);
  });

  // The redrive route refuses a body that is not JSON (409 dead_letter_malformed); the list had parsed it strictly,
  // and one such row — in either store — was a 500 for every page that held it, the rows around it unlistable.
  it("lists a stored body that is not JSON as its text, in either store, never a 5xx", async () => {
    const odd = "dl-pages-odd";
    await recordDeadLetters(env.DB, [letter("d1-ok", T, odd)]);
    await env.DB.prepare(
      "INSERT INTO dead_letters (id, product_id, source, reason, body, attempts, at) VALUES ('d1-garbled', ?, 'queue:history', 'r', '{not json', 5, ?)",
    )
      .bind(odd, T)
      .run();
    await keepInCoordinator([letter("do-ok", T, odd)], odd);
    await runInDurableObject(env.COORDINATOR.getByName(odd), (_i, state) => {
      state.storage.sql.exec(
        "INSERT INTO dead_letters(id, source, reason, body, attempts, at) VALUES ('do-garbled', 'queue:history', 'r', 'nope', 5, ?)",
        T,
      );
    });
    const r = await page({ limit: 10 }, odd);
    expect(r.status).toBe(200);
    expect(Object.fromEntries(r.body.items.map((d) => [d.id, d.body]))).toEqual({
      "do-ok": { id: "do-ok" },
      "do-garbled": "nope",
      "d1-ok": { id: "d1-ok" },
      "d1-garbled": "{not json",
    });
  });
});
