// Cancelling a composite cancels every live job of its subtree, also one below a composite that already shipped:
// a failed (or dead-lettered) child of a shipped `onChildFailure: continue` composite may be requeued (its ancestors
// are not cancelled), and a cancel of the top composite afterwards walked only live children, so it never reached
// the requeued job below the shipped one — left queued, dispatched and paid for under a cancelled composite, its
// requeue refused ever after (ancestor_cancelled) but nothing stopping the run. The cascade now goes through a shipped
// composite to its live descendants, within the same per-unit bound, and cancels them naming their own parent; while
// it is under way, a job below the shipped composite is held and told the cancelled one above (`ancestor_cancelled`),
// never that the shipped one was cancelled.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ADMIN, addChildren, api, eventsOf, getJob, type JobView, P, submit, until } from "./client.ts";
import { alarmUntil, holdAlarm } from "./state.ts";

const act = (product: string, id: string, action: string) =>
  api<JobView & { code?: string }>("POST", `${P(product)}/jobs/${id}/actions/${action}`, { token: ADMIN });

/** Puts jobs straight into `stage` (column and document), as the runs that got them there would have. */
async function setStage(product: string, stage: string, ids: string[]): Promise<void> {
  await runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) => {
    for (const id of ids) {
      state.storage.sql.exec("UPDATE jobs SET stage = ?1, doc = json_set(doc, '$.stage', ?1) WHERE id = ?2", stage, id);
    }
  });
}

/** Cancelled composites whose cascade has still to reach jobs below them (dag/cancel-subtree). */
const cascadeRows = (product: string) =>
  runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) =>
    Number(state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM cancel_cascades").one().n),
  );

describe("cancelling a composite with a shipped composite below it", () => {
  it("cancels a job requeued below the shipped composite, as every other live descendant", async () => {
    const product = "cancel-through-shipped";
    const top = await submit(product, { title: "top" });
    const [story, open] = (await addChildren(product, top.id, [
      { title: "story", onChildFailure: "continue" },
      { title: "still open" },
    ])) as [JobView, JobView];
    const [a, b] = (await addChildren(product, story.id, [{ title: "task a" }, { title: "task b" }])) as [
      JobView,
      JobView,
    ];
    // Task a dead-lettered, task b shipped, so the story (continue) moved on and shipped: 1 of 2 children shipped.
    await setStage(product, "dead_letter", [a.id]);
    await setStage(product, "shipped", [b.id, story.id]);

    // Below a shipped composite, not a cancelled one: the requeue is allowed (core/composite `cancelledAncestor`).
    const requeued = await act(product, a.id, "requeue");
    expect(requeued.status).toBe(200);
    expect(requeued.body.stage).toBe("queued");

    expect((await act(product, top.id, "cancel")).status).toBe(200);
    await alarmUntil(
      product,
      () => cascadeRows(product),
      (n) => n === 0,
    ); // the cascade ran to its end
    expect((await getJob(product, a.id)).stage).toBe("cancelled");
    // Its feed says whose cancel it went with: the top's — its own parent, the story, shipped and was not cancelled.
    const isCancel = (e: { type: string; data: Record<string, unknown> }) =>
      e.type === "job.action" && e.data.action === "cancel";
    const events = await until(
      () => eventsOf(product, a.id, 1),
      (all) => all.some(isCancel),
    );
    const cancel = events.find(isCancel);
    expect(cancel?.data).toMatchObject({ parentId: story.id, note: `cancelled with ${top.id}, a composite above it` });
    expect((await getJob(product, open.id)).stage).toBe("cancelled");
    // What ended stays as it ended: the shipped story and its shipped task are not touched.
    expect((await getJob(product, story.id)).stage).toBe("shipped");
    expect((await getJob(product, b.id)).stage).toBe("shipped");
  });

  it("names the cancelled composite, not the shipped one, to a job below both while the cascade is under way", async () => {
    const product = "cancel-through-shipped-named";
    const top = await submit(product, { title: "top" });
    const [story] = (await addChildren(product, top.id, [{ title: "story", onChildFailure: "continue" }])) as [JobView];
    const [a, b] = (await addChildren(product, story.id, [{ title: "task a" }, { title: "task b" }])) as [
      JobView,
      JobView,
    ];
    await setStage(product, "dead_letter", [a.id]);
    await setStage(product, "shipped", [b.id, story.id]);
    expect((await act(product, a.id, "requeue")).status).toBe(200);
    // Mid-cascade, as a cancel past one unit's chunk leaves it: the top cancelled, the cascade at the shipped story.
    // Held there: an alarm the requeue armed would otherwise run the cascade on, cancel task a between the reads
    // below and make the children's refusal `illegal_transition` (a cancelled job) — it did, now and then.
    const release = await holdAlarm(product);
    await setStage(product, "cancelled", [top.id]);
    await runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) => {
      state.storage.sql.exec(
        "INSERT INTO cancel_cascades(job_id, root_id, actor) VALUES (?, ?, 'test-admin')",
        story.id,
        top.id,
      );
    });

    const held = (await getJob(product, a.id)) as JobView & { waitingReason?: { code: string; message: string } };
    expect(held.waitingReason?.code).toBe("ancestor_cancelled");
    expect(held.waitingReason?.message).toContain(top.id);
    expect(held.waitingReason?.message).not.toContain(story.id);
    const children = await api<{ code: string; detail: string }>("POST", `${P(product)}/jobs/${a.id}/children`, {
      token: ADMIN,
      json: { children: [{ title: "more" }] },
    });
    expect(children.status).toBe(409);
    expect(children.body.code).toBe("ancestor_cancelled");
    expect(children.body.detail).toContain(`${top.id}, a composite job above it, is cancelled`);
    await release();
  });
});
