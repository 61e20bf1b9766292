// What the lessons tests share (workerd): reading the journal from D1 and waiting for it, dead-lettering a job once
// through a factory's claim and failed report, requeueing it, and reading the coordinator's own mirror of lessons.
import { env, runInDurableObject } from "cloudflare:test";
import { expect } from "vitest";
import type { Lesson } from "../../src/core/lessons.ts";
import { ADMIN, api, claim, P, until } from "./client.ts";

export type LessonPage = { items: Lesson[]; nextCursor?: string };

/** `GET …/lessons{query}` with `token` (the admin's by default). */
export const listLessons = (product: string, query = "", token = ADMIN) =>
  api<LessonPage>("GET", `${P(product)}/lessons${query}`, { token });

/** D1 once the outbox has shipped: waits until `ok` holds for the listed page. */
export const listLessonsUntil = (product: string, query: string, ok: (p: LessonPage) => boolean) =>
  until(
    async () => (await listLessons(product, query)).body,
    (p) => Array.isArray(p.items) && ok(p),
    20_000, // D1 trails the coordinator by the outbox and the history queue's batching
  );

/** Claims `jobId` with the factory `token` and reports it failed: with no retries left, it is dead-lettered. */
export async function failOnce(product: string, token: string, jobId: string): Promise<void> {
  const c = await claim(product, token);
  expect(c.status).toBe(200);
  const r = await api<{ stage: string }>("PATCH", `${P(product)}/jobs/${jobId}`, {
    token,
    json: { leaseEpoch: c.body.lease.leaseEpoch, stage: "failed", result: { outcome: "failure", rc: 1 } },
  });
  expect(r.body.stage).toBe("dead_letter");
}

/** `POST …/actions/requeue` as the admin: the answer, for the caller to check. */
export const requeueJob = (product: string, jobId: string) =>
  api("POST", `${P(product)}/jobs/${jobId}/actions/requeue`, { token: ADMIN, json: {} });

/** The coordinator's mirror, read in the object itself, newest first. */
export const lessonMirror = (product: string): Promise<Lesson[]> =>
  runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) =>
    state.storage.sql
      .exec<{ doc: string }>("SELECT doc FROM lessons ORDER BY updated_at DESC, id DESC")
      .toArray()
      .map((r) => JSON.parse(r.doc) as Lesson),
  );
