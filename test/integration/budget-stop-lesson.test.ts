// A budget `stop` that catches many running jobs records ONE `budget_stop` lesson (policies/budget-stop), not one per
// job: ten jobs of different titles stopped at once leave one automatic lesson — naming how many, three of their
// titles, scoped to what they share (their capability) — and the next assignment in that scope still carries the
// operators' seven lessons beside it (a lesson per job had filled all 8 places with "the budget ran out"). Each
// stopped job keeps its own record: a `lease.lost` event saying why, its run closed `budget_exceeded` "stopped and
// requeued" (it read `cancelled`), saying whether it resumes from a checkpoint or starts over — as the lesson does
// (it said "each resumes from its checkpoint" of jobs that had none).
import { describe, expect, it } from "vitest";
import type { Lesson } from "../../src/core/lessons.ts";
import { inOneBudgetPeriod } from "../support/budget-period-run.ts";
import { ADMIN, api, claim, enroll, P, submit, until } from "./client.ts";
import { lessonMirror } from "./lesson-support.ts";

const JOBS = 10;
const OPERATOR_LESSONS = 7;

describe("a budget stop of many running jobs", () => {
  it("records one lesson for the stop, and an assignment still carries the other lessons", () =>
    inOneBudgetPeriod(async (run) => {
      const product = run.product("budget-stop-lesson");
      const budget = { period: "day", ceilingUsd: 1, onExhausted: "stop" };
      expect((await api("PUT", `${P(product)}/budget`, { token: ADMIN, json: budget })).status).toBe(200);
      for (let i = 0; i < OPERATOR_LESSONS; i++) {
        const json = { text: `operator lesson ${i}`, capabilities: ["lang:ts"] };
        expect((await api("POST", `${P(product)}/lessons`, { token: ADMIN, json })).status).toBe(201);
      }
      const f = await enroll(product, "f", ["lang:ts", "os:linux"], JOBS + 1);
      const jobs = [];
      for (let i = 0; i < JOBS; i++) {
        const requires = i % 2 === 0 ? ["lang:ts", "os:linux"] : ["lang:ts"];
        jobs.push(await submit(product, { title: `job ${i}`, requires }));
      }
      const leases = [];
      for (let i = 0; i < JOBS; i++) leases.push((await claim(product, f.token)).body);
      const first = leases[0]!;
      // The report that spends the budget carries the first job's checkpoint: it alone resumes.
      const checkpoint = { branch: "gf/wip/0", sha: "abc1234" };
      const json = { leaseEpoch: first.lease.leaseEpoch, stage: "building", insights: { costUsd: 1 }, checkpoint };
      expect((await api("PATCH", `${P(product)}/jobs/${first.job.id}`, { token: f.token, json })).status).toBe(200);

      const stops = (await lessonMirror(product)).filter((l: Lesson) => l.trigger === "budget_stop");
      expect(stops).toHaveLength(1);
      expect(stops[0]).toMatchObject({ source: "auto", count: 1, capabilities: ["lang:ts"] });
      expect(stops[0]?.subject).toMatch(/^budget:day:\d{4}-\d\d-\d\dT00:00:00\.000Z$/);
      expect(stops[0]?.text).toMatch(
        /^10 running jobs \("job \d", "job \d", "job \d" and 7 more\) were stopped and requeued because the product budget ran out/,
      );
      expect(stops[0]?.text).toMatch(/; 1 resume from their checkpoints, 9 had none and start over\.$/);
      type Runs = { runs: Array<{ result?: { outcome: string; message?: string } }> };
      for (const lease of leases) {
        const { runs } = (await api<Runs>("GET", `${P(product)}/jobs/${lease.job.id}/runs`, { token: ADMIN })).body;
        const resumes =
          lease.job.id === first.job.id ? "it resumes from its checkpoint" : "no checkpoint: it starts over";
        expect(runs.map((r) => r.result)).toEqual([
          {
            outcome: "budget_exceeded",
            message: expect.stringMatching(`— stopped and requeued; ${resumes}$`),
            retryable: true,
          },
        ]);
      }
      type Events = { events: Array<{ type: string; data: { why?: string } }> };
      for (const job of jobs) {
        const read = async () =>
          (await api<Events>("GET", `${P(product)}/jobs/${job.id}/events?after=0`, { token: ADMIN })).body.events;
        const events = await until(read, (es) => es.some((e) => e.type === "lease.lost"), {
          ms: 5000,
          what: `the lease.lost event of ${job.id}`,
        });
        const lost = events.filter((e) => e.type === "lease.lost").map((e) => String(e.data.why));
        expect(lost).toEqual([expect.stringMatching(/^budget exhausted: /)]);
      }

      // Resumed over the ceiling: the next assignment carries the stop's one lesson and every operator lesson.
      expect((await api("POST", `${P(product)}/budget/resume`, { token: ADMIN })).status).toBe(200);
      const again = await api<{ lessons: Array<{ id: string; text: string }> }>("POST", `${P(product)}/claim`, {
        token: f.token,
        json: { leaseTtlSeconds: 60 },
      });
      expect(again.status).toBe(200);
      const texts = again.body.lessons.map((l) => l.text);
      expect(texts).toHaveLength(OPERATOR_LESSONS + 1);
      expect(texts.filter((t) => t.startsWith("operator lesson"))).toHaveLength(OPERATOR_LESSONS);
    }));
});
