// A lease a reconnect's `welcome` lists carries what its run has reported so far (`runSpent`: the run's high-water
// marks, USD and tokens in + out, and of those the written part `tokensOut`), for an agent that starts a fresh engine on it — its process died and came back
// within the lease — to report that plus the new engine's own usage. The coordinator charges only what a report
// adds over the run's mark: without the base, the fresh engine's $2 under a $3 mark charged nothing (the run cost
// $5, the product budget was charged $3). A lease with no spend yet lists zeros; an `assign` carries no runSpent.
// Each lease also carries its run's start (`runStartedAt`, the run row's `startedAt`, ms epoch): `wallSeconds` bounds
// the run, so the fresh engine gets only what is left of it; an `assign` carries none.
import { describe, expect, it } from "vitest";
import type { Assignment } from "../../src/shared/protocol.ts";
import type { Run } from "../../src/shared/responses.ts";
import { inOneBudgetPeriod } from "../support/budget-period-run.ts";
import { ADMIN, api, enroll, P, submit } from "./client";
import { type AssignFrame, connectFactory } from "./sockets";

const spent = async (product: string) =>
  (await api<{ spentUsd: number }>("GET", `${P(product)}/budget`, { token: ADMIN })).body.spentUsd;

describe("a resumed lease's runSpent", () => {
  it("is the run's mark after some spend, and base + a fresh engine's usage is charged in full", () =>
    inOneBudgetPeriod(async (run) => {
      const product = run.product("resumed-spend");
      const set = await api("PUT", `${P(product)}/budget`, {
        token: ADMIN,
        json: { period: "day", ceilingUsd: 100, onExhausted: "pause" },
      });
      expect(set.status).toBe(200);
      const f = await enroll(product, "f");
      const { socket } = await connectFactory(product, f.token);
      const job = await submit(product, { title: "crashes", budget: { usd: 10, wallSeconds: 600 } });
      const a = (await socket.next<AssignFrame>("assign")).assignments[0]!;
      expect(a.runSpent).toBeUndefined();
      expect(a.runStartedAt).toBeUndefined();
      const ref = { jobId: job.id, leaseEpoch: a.leaseEpoch };
      socket.send({ type: "progress", id: "1", ...ref, insights: { costUsd: 3, tokensIn: 800, tokensOut: 200 } });
      await socket.next("ack");
      expect(await spent(product)).toBe(3);
      socket.close(); // the agent process died: its engine, and its count, with it

      const { socket: again, welcome } = await connectFactory(product, f.token);
      const lease = welcome.leases.find((l: Assignment) => l.job.id === job.id);
      expect(lease?.leaseEpoch).toBe(a.leaseEpoch);
      expect(lease?.runSpent).toEqual({ usd: 3, tokens: 1000, tokensOut: 200 });
      const runs = (await api<{ runs: Run[] }>("GET", `${P(product)}/jobs/${job.id}/runs`, { token: ADMIN })).body.runs;
      expect(runs.map((r) => r.leaseEpoch)).toEqual([a.leaseEpoch]);
      expect(lease?.runStartedAt).toBeTypeOf("number");
      expect(lease?.runStartedAt).toBe(runs[0]?.startedAt); // when the run started, for its wallSeconds
      expect(lease?.allowance).toEqual({ usd: 10 }); // the earlier runs' spend only: this run's is the agent's to add
      // The fresh engine spent $2 and 500 tokens: the agent reports base + its own.
      again.send({ type: "progress", id: "2", ...ref, insights: { costUsd: 5, tokensIn: 1300, tokensOut: 200 } });
      await again.next("ack");
      expect(await spent(product)).toBe(5);
      again.close();
    }));

  it("is zeros for a lease whose run has reported nothing yet", () =>
    inOneBudgetPeriod(async (run) => {
      const product = run.product("resumed-spend-none");
      const f = await enroll(product, "f");
      const { socket } = await connectFactory(product, f.token);
      const job = await submit(product, { title: "quiet" });
      await socket.next<AssignFrame>("assign");
      socket.close();
      const { socket: again, welcome } = await connectFactory(product, f.token);
      expect(welcome.leases.map((l: Assignment) => [l.job.id, l.runSpent])).toEqual([
        [job.id, { usd: 0, tokens: 0, tokensOut: 0 }],
      ]);
      again.close();
    }));
});
