// D1 history: snapshots, runs and audit leave the coordinator through its outbox and the
// history queue — never on the request path — and land in D1 exactly once.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ADMIN, api, claim, enroll, P, submit, until } from "./client";

describe("history in D1", () => {
  it("records a snapshot per stage change, the run, and the operator audit trail", async () => {
    const product = "history-flow";
    const f = await enroll(product, "f");
    const job = await submit(product, { title: "h" });
    const path = `${P(product)}/jobs/${job.id}`;
    await claim(product, f.token);
    await api("PATCH", path, { token: f.token, json: { leaseEpoch: 1, stage: "building" } });
    await api("PATCH", path, {
      token: f.token,
      json: { leaseEpoch: 1, stage: "testing", insights: { tokensIn: 10, tokensOut: 5, costUsd: 0.25 } },
    });
    await api("POST", `${path}/actions/ship`, { token: ADMIN });

    const snaps = await until(
      () =>
        api<{ items: Array<{ stage: string }> }>("GET", `${P(product)}/history?kind=snapshots&jobId=${job.id}`, {
          token: ADMIN,
        }),
      (r) => r.body.items.length >= 5,
    );
    expect(snaps.body.items.map((s) => s.stage)).toEqual(["queued", "assigned", "building", "testing", "shipped"]);
    const runs = await until(
      () =>
        api<{ items: Array<Record<string, unknown>> }>("GET", `${P(product)}/history?kind=runs&jobId=${job.id}`, {
          token: ADMIN,
        }),
      (r) => r.body.items[0]?.outcome === "success",
    );
    expect(runs.body.items).toHaveLength(1);
    expect(runs.body.items[0]).toMatchObject({ attempt: 1, outcome: "success", tokensIn: 10, costUsd: 0.25 });
    const audit = await until(
      () =>
        api<{ items: Array<{ action: string; actor: string }> }>("GET", `${P(product)}/history?kind=audit`, {
          token: ADMIN,
        }),
      (r) => r.body.items.length >= 3,
    );
    expect(audit.body.items.map((a) => a.action)).toEqual(["factory.enroll", "job.submit", "job.ship"]);
    expect(audit.body.items[2]?.actor).toBe("admin");
    const left = await runInDurableObject(env.COORDINATOR.getByName(product), (_i, s) =>
      // History records are all shipped; feed events may still be held for coalescing (core/feed-hold).
      s.storage.sql
        .exec("SELECT COUNT(*) AS n FROM outbox WHERE kind <> 'event'")
        .one(),
    );
    expect(left.n).toBe(0);
  });
});
