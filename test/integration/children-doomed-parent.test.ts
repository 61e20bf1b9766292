// A blocked job whose dep ended without shipping is refused children (409 conflict, naming the dep, nothing made)
// while the settle walk (dag/settle-walk) has still to reach and fail it — a dep with more waiters than one unit
// examines leaves the rest for the alarm. It answered 201 and its new children were queued, to run and be paid for
// under a parent the alarm then failed; once failed, the same request is refused too (illegal_transition). Through
// `POST …/children` and a submit naming `parentId` alike; the walk, let run, fails the parent as before.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ADMIN, api, getJob, type JobView, P, submit } from "./client.ts";
import { alarmUntil, holdAlarm } from "./state.ts";

type Problem = { code: string; detail: string };
const count = (product: string) =>
  runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) =>
    Number(state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM jobs").one().n),
  );

describe("children for a blocked job whose dep ended", () => {
  it("are refused while the settle walk has still to fail it, and nothing is made", async () => {
    const product = "children-doomed-parent";
    const release = await holdAlarm(product);
    const dep = await submit(product, { title: "dep" });
    const parent = await submit(product, { title: "parent", deps: [dep.id] });
    expect(parent.stage).toBe("blocked");
    // The dep cancelled, its walk left for the alarm (as past SETTLE_CHUNK waiters): the parent still blocked.
    await runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) => {
      const sql = state.storage.sql;
      sql.exec("UPDATE jobs SET stage = 'cancelled', doc = json_set(doc, '$.stage', 'cancelled') WHERE id = ?", dep.id);
      sql.exec("INSERT INTO settle_backlog(job_id, after_id) VALUES (?, '')", dep.id);
    });
    const before = await count(product);

    const viaChildren = await api<Problem>("POST", `${P(product)}/jobs/${parent.id}/children`, {
      token: ADMIN,
      json: { children: [{ title: "never" }] },
    });
    const viaSubmit = await api<Problem>("POST", `${P(product)}/jobs`, {
      token: ADMIN,
      json: { manifest: { title: "never", parentId: parent.id } },
    });
    for (const r of [viaChildren, viaSubmit]) {
      expect(r.status).toBe(409);
      expect(r.body.code).toBe("conflict");
      expect(r.body.detail).toContain(`dependency_failed: ${dep.id} is cancelled`);
    }
    expect(await count(product)).toBe(before);
    expect((await getJob(product, parent.id)).kind).toBe("task"); // not made a composite either

    await release();
    const failed = await alarmUntil(
      product,
      () => getJob(product, parent.id),
      (j: JobView) => j.stage === "failed",
    );
    expect(failed.stage).toBe("failed");
  });
});
