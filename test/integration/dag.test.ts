// DAG in the coordinator (real DO storage): a dep that ends without shipping fails its `all`-dependents (named,
// cascading, in the same unit) while an `any`-dependent waits; a diamond unblocks its bottom exactly once however
// the two reports interleave; a composite parent waits in blocked for its children and moves on (or fails per
// onChildFailure) in the unit of its last child's end; cycles and unknown deps are refused at submit; the tree reads.
import { describe, expect, it } from "vitest";
import { COMPOSITE_NOT_REQUEUED } from "../../src/durable-objects/coordinator/policies/reviews.ts";
import { ADMIN, api, claim, enroll, type JobView, P, getJob as readJob, submit, until } from "./client.ts";
import { expireLeaseNow } from "./state.ts";

type Problem = { code: string; detail: string; cycle?: string[] };
type Job = JobView & { lastResult?: { message?: string } };
const getJob = (product: string, id: string) => readJob(product, id) as Promise<Job>;

const act = (product: string, id: string, action: string) =>
  api<JobView>("POST", `${P(product)}/jobs/${id}/actions/${action}`, { token: ADMIN });

const version = async (product: string) =>
  (await api<{ version: number }>("GET", `${P(product)}/queue-state`, { token: ADMIN })).body.version;

/** Claims every queued job with `token` and reports each through building to testing; returns their ids. */
async function buildAll(product: string, token: string): Promise<string[]> {
  const built: string[] = [];
  for (;;) {
    const c = await claim(product, token);
    if (c.status === 204) return built;
    const path = `${P(product)}/jobs/${c.body.job.id}`;
    const epoch = c.body.lease.leaseEpoch;
    await api("PATCH", path, { token, json: { leaseEpoch: epoch, stage: "building" } });
    const done = await api("PATCH", path, { token, json: { leaseEpoch: epoch, stage: "testing" } });
    expect(done.status).toBe(200);
    built.push(c.body.job.id);
  }
}

async function eventTypes(product: string, jobId: string, want: string): Promise<string[]> {
  const read = async () =>
    (
      await api<{ events: Array<{ type: string }> }>("GET", `${P(product)}/jobs/${jobId}/events?after=0&limit=500`, {
        token: ADMIN,
      })
    ).body.events.map((e) => e.type);
  return until(read, (types) => types.includes(want));
}

describe("dependency failure", () => {
  it("a cancelled dep fails its all-dependent (dependency_failed, named); an any-dependent waits for the other", async () => {
    const product = "dag-cancelled-dep";
    const a = await submit(product, { title: "A" });
    const b = await submit(product, { title: "B" });
    const all = await submit(product, { title: "all", deps: [a.id, b.id] });
    const any = await submit(product, { title: "any", deps: [a.id, b.id], depsMode: "any" });
    expect([all.stage, any.stage]).toEqual(["blocked", "blocked"]);

    expect((await act(product, a.id, "cancel")).status).toBe(200);
    const failed = await getJob(product, all.id);
    expect(failed.stage).toBe("failed");
    expect(failed.lastResult).toEqual({
      outcome: "failure",
      retryable: false,
      message: `dependency_failed: ${a.id} is cancelled`,
    });
    expect(await eventTypes(product, all.id, "job.dependency_failed")).toContain("job.dependency_failed");
    expect((await getJob(product, any.id)).stage).toBe("blocked"); // B can still ship

    await act(product, b.id, "cancel");
    expect((await getJob(product, any.id)).lastResult?.message).toBe(`dependency_failed: ${a.id} is cancelled`);
  });

  it("cascades over three levels in the unit of the first failure", async () => {
    const product = "dag-cascade";
    const a = await submit(product, { title: "A" });
    const b = await submit(product, { title: "B", deps: [a.id] });
    const c = await submit(product, { title: "C", deps: [b.id] });
    const d = await submit(product, { title: "D", deps: [c.id] });
    await act(product, a.id, "cancel");
    for (const [job, dep, stage] of [
      [b, a, "cancelled"],
      [c, b, "failed"],
      [d, c, "failed"],
    ] as const) {
      const now = await getJob(product, job.id);
      expect(now.stage).toBe("failed");
      expect(now.lastResult?.message).toBe(`dependency_failed: ${dep.id} is ${stage}`);
    }
  });

  it("cascades down a 120-long chain in the one unit of the cancel (a worklist, not recursion)", async () => {
    const product = "dag-long-chain";
    const head = await submit(product, { title: "head" });
    let last = head;
    for (let i = 0; i < 120; i++) last = await submit(product, { title: `n${i}`, deps: [last.id] });
    const before = await version(product);
    expect((await act(product, head.id, "cancel")).status).toBe(200);
    expect((await getJob(product, last.id)).stage).toBe("failed");
    expect(await version(product)).toBe(before + 121); // the cancel and 120 failures, all in that one request
  });

  it("a permanent failure report fails dependents; a transient one with attempts left does not", async () => {
    const product = "dag-failed-report";
    const f = await enroll(product, "f");
    const a = await submit(product, { title: "A", maxAttempts: 3 });
    const dep = await submit(product, { title: "dependent", deps: [a.id] });
    const report = async (retryable: boolean) => {
      const c = await claim(product, f.token);
      await api("PATCH", `${P(product)}/jobs/${a.id}`, {
        token: f.token,
        json: { leaseEpoch: c.body.lease.leaseEpoch, stage: "failed", result: { outcome: "failure", retryable } },
      });
    };
    await report(true);
    expect((await getJob(product, a.id)).stage).toBe("queued"); // retried after its backoff
    expect((await getJob(product, dep.id)).stage).toBe("blocked");
    await api("POST", `${P(product)}/jobs/${a.id}/actions/requeue`, { token: ADMIN }); // skip the backoff
    await report(false);
    expect((await getJob(product, a.id)).stage).toBe("failed");
    expect((await getJob(product, dep.id)).lastResult?.message).toBe(`dependency_failed: ${a.id} is failed`);
  });

  it("a lease expiry that dead-letters the dep fails its dependents", async () => {
    const product = "dag-dead-letter";
    const f = await enroll(product, "f");
    const a = await submit(product, { title: "A", maxAttempts: 1 });
    const dep = await submit(product, { title: "dependent", deps: [a.id] });
    await claim(product, f.token);
    await expireLeaseNow(product, a.id);
    expect((await claim(product, f.token)).status).toBe(204); // a claim expires lapsed leases first
    expect((await getJob(product, a.id)).stage).toBe("dead_letter");
    expect((await getJob(product, dep.id)).lastResult?.message).toBe(`dependency_failed: ${a.id} is dead_letter`);
  });

  it("an operator's requeue of a dependent whose dep is dead is refused (409, naming the dep), unchanged", async () => {
    const product = "dag-requeue-dependent";
    const a = await submit(product, { title: "A" });
    const dep = await submit(product, { title: "dependent", deps: [a.id] });
    await act(product, a.id, "cancel");
    const before = await getJob(product, dep.id);
    const r = await act(product, dep.id, "requeue");
    expect(r.status).toBe(409);
    expect((r.body as unknown as Problem).detail).toContain(a.id);
    expect(await getJob(product, dep.id)).toEqual(before);
  });
});

describe("diamond A → B1, B2 → C", () => {
  async function diamond(product: string) {
    const f = await enroll(product, "f", [], 4);
    const a = await submit(product, { title: "A" });
    const b1 = await submit(product, { title: "B1", deps: [a.id] });
    const b2 = await submit(product, { title: "B2", deps: [a.id] });
    const c = await submit(product, { title: "C", deps: [b1.id, b2.id] });
    await buildAll(product, f.token);
    await act(product, a.id, "ship");
    expect((await buildAll(product, f.token)).sort()).toEqual([b1.id, b2.id].sort());
    return { b1, b2, c, before: await version(product) };
  }

  for (const order of [
    ["B1", "B2"],
    ["B2", "B1"],
  ]) {
    it(`unblocks C exactly once when ${order.join(" then ")} ship`, async () => {
      const product = `dag-diamond-${order.join("-").toLowerCase()}`;
      const { b1, b2, c, before } = await diamond(product);
      const byName = { B1: b1, B2: b2 };
      await act(product, byName[order[0] as "B1"].id, "ship");
      expect((await getJob(product, c.id)).stage).toBe("blocked");
      await act(product, byName[order[1] as "B1"].id, "ship");
      const after = await getJob(product, c.id);
      expect(after.stage).toBe("queued");
      expect(after.rev).toBe(2); // submitted, unblocked: one write
      expect(await version(product)).toBe(before + 3); // two ships, one unblock
    });
  }

  it("unblocks C exactly once when both ships race as concurrent RPCs", async () => {
    const product = "dag-diamond-race";
    const { b1, b2, c, before } = await diamond(product);
    const replies = await Promise.all([act(product, b1.id, "ship"), act(product, b2.id, "ship")]);
    expect(replies.map((r) => r.status)).toEqual([200, 200]);
    expect((await getJob(product, c.id)).rev).toBe(2);
    expect(await version(product)).toBe(before + 3);
    const stages = await until(
      async () =>
        (
          await api<{ events: Array<{ type: string; data: { to?: string } }> }>(
            "GET",
            `${P(product)}/jobs/${c.id}/events?after=0&limit=500`,
            { token: ADMIN },
          )
        ).body.events,
      (events) => events.some((e) => e.type === "job.stage"),
    );
    expect(stages.filter((e) => e.type === "job.stage").map((e) => e.data.to)).toEqual(["queued"]);
  });
});

describe("composite jobs", () => {
  async function parentWithChildren(product: string, manifest: Record<string, unknown> = {}) {
    const parent = await submit(product, { title: "parent", ...manifest });
    const r = await api<{ parent: JobView; children: JobView[] }>("POST", `${P(product)}/jobs/${parent.id}/children`, {
      token: ADMIN,
      json: { children: [{ title: "c0" }, { title: "c1", deps: ["#0"], bodyMd: "do c1" }] },
    });
    expect(r.status).toBe(201);
    return r.body;
  }

  it("the parent waits in blocked until its children ship, then moves to testing in the last ship's unit", async () => {
    const product = "dag-composite-testing";
    const f = await enroll(product, "f", [], 4);
    const { parent, children } = await parentWithChildren(product);
    expect(parent).toMatchObject({ stage: "blocked", kind: "composite" });
    expect(children.map((c) => [c.parentId, c.stage])).toEqual([
      [parent.id, "queued"],
      [parent.id, "blocked"],
    ]);
    expect(children[1]!.deps).toEqual([children[0]!.id]);
    expect(await buildAll(product, f.token)).toEqual([children[0]!.id]); // the parent never builds
    await act(product, children[0]!.id, "ship");
    expect((await getJob(product, parent.id)).stage).toBe("blocked");
    await buildAll(product, f.token);
    await act(product, children[1]!.id, "ship");
    expect((await getJob(product, parent.id)).stage).toBe("testing");
  });

  it("a parent with reviewers moves to review; a manifest's children: list makes the same composite", async () => {
    const product = "dag-composite-review";
    const f = await enroll(product, "f", [], 4);
    const parent = await submit(product, { title: "p", reviewers: 1, children: [{ title: "only" }] });
    expect(parent).toMatchObject({ stage: "blocked", kind: "composite" });
    expect(parent.manifest).not.toHaveProperty("children");
    const [child] = await buildAll(product, f.token);
    expect((await getJob(product, child!)).parentId).toBe(parent.id);
    await act(product, child!, "ship");
    expect((await getJob(product, parent.id)).stage).toBe("review");
  });

  it("onChildFailure fail: a cancelled child fails the parent, naming it", async () => {
    const product = "dag-composite-fail";
    const { parent, children } = await parentWithChildren(product);
    await act(product, children[0]!.id, "cancel");
    const now = await getJob(product, parent.id);
    expect(now.stage).toBe("failed");
    expect(now.lastResult?.message).toBe(`child_failed: ${children[0]!.id} is cancelled`);
  });

  it("onChildFailure continue: the parent moves on once every child ended, one shipped", async () => {
    const product = "dag-composite-continue";
    const f = await enroll(product, "f", [], 4);
    const parent = await submit(product, {
      title: "p",
      onChildFailure: "continue",
      children: [{ title: "a" }, { title: "b" }],
    });
    const [a, b] = await buildAll(product, f.token);
    await act(product, a!, "cancel");
    expect((await getJob(product, parent.id)).stage).toBe("blocked");
    await act(product, b!, "ship");
    expect((await getJob(product, parent.id)).stage).toBe("testing");
  });

  it("refuses children for a job that is running", async () => {
    const product = "dag-composite-running";
    const f = await enroll(product, "f");
    const job = await submit(product, { title: "p" });
    await claim(product, f.token);
    const r = await api("POST", `${P(product)}/jobs/${job.id}/children`, {
      token: ADMIN,
      json: { children: [{ title: "x" }] },
    });
    expect(r.status).toBe(409);
  });
});

describe("a job submitted on its own with manifest.parentId", () => {
  // Found by a hostile-input reviewer: it was checked only for existence, so a child could join a plain task (which
  // then did not wait for it) or a cancelled composite. It is a child like any other now (dag/children).
  it("makes a queued parent composite and blocked, as …/children does", async () => {
    const product = "dag-parent-id";
    const parent = await submit(product, { title: "p" });
    const child = await submit(product, { title: "c", parentId: parent.id });
    expect(child.parentId).toBe(parent.id);
    expect(await getJob(product, parent.id)).toMatchObject({ stage: "blocked", kind: "composite" });
  });

  it("is refused for a parent that ended or started, and nothing is created", async () => {
    const product = "dag-parent-id-ended";
    const parent = await submit(product, { title: "p" });
    const cancel = await api("POST", `${P(product)}/jobs/${parent.id}/actions/cancel`, { token: ADMIN, json: {} });
    expect(cancel.status).toBe(200);
    const before = await version(product);
    const r = await api<Problem>("POST", `${P(product)}/jobs`, {
      token: ADMIN,
      json: { manifest: { title: "late child", parentId: parent.id } },
    });
    expect(r.status).toBe(409);
    expect(r.body.code).toBe("illegal_transition");
    expect(await version(product)).toBe(before);
    const jobs = await api<{ jobs: unknown[] }>("GET", `${P(product)}/jobs`, { token: ADMIN });
    expect(jobs.body.jobs).toHaveLength(1);
  });
});

describe("a request at the limits", () => {
  // 500 children, each waiting on its 100 previous siblings: a cycle search per new edge took minutes here and
  // stalled the coordinator (one search for the whole request now: core/dag `findCycle`, whose reads are bounded
  // in test/unit/dag.test.ts). Accepted whole, every dep resolved to its sibling's id.
  it("500 children with 100 sibling deps each are created in one request", async () => {
    const product = "dag-at-limits";
    const parent = await submit(product, { title: "p" });
    const children = Array.from({ length: 500 }, (_, i) => ({
      title: `c${i}`,
      deps: Array.from({ length: Math.min(i, 100) }, (_, d) => `#${i - d - 1}`),
    }));
    const r = await api<{ children: Array<{ id: string; title: string; deps: string[] }> }>(
      "POST",
      `${P(product)}/jobs/${parent.id}/children`,
      { token: ADMIN, json: { children } },
    );
    expect(r.status).toBe(201);
    const made = r.body.children;
    expect(made).toHaveLength(500);
    const ids = new Map(made.map((c) => [c.title, c.id]));
    const last = made.find((c) => c.title === "c499")!;
    expect(new Set(last.deps)).toEqual(new Set(Array.from({ length: 100 }, (_, d) => ids.get(`c${498 - d}`))));
  });
});

describe("refused at submit", () => {
  it("a cycle among siblings, named in the problem detail, nothing created", async () => {
    const product = "dag-cycle-siblings";
    const parent = await submit(product, { title: "p" });
    const before = await version(product);
    const r = await api<Problem>("POST", `${P(product)}/jobs/${parent.id}/children`, {
      token: ADMIN,
      json: {
        children: [
          { title: "x", deps: ["#1"] },
          { title: "y", deps: ["#0"] },
        ],
      },
    });
    expect(r.status).toBe(400);
    expect(r.body.detail).toContain("#0 → #1 → #0");
    expect(r.body.cycle).toEqual(["#0", "#1", "#0"]);
    expect(await version(product)).toBe(before);
    expect((await getJob(product, parent.id)).stage).toBe("queued");
  });

  it("a child depending on its own parent (which waits on it) or on a dependent of the parent", async () => {
    const product = "dag-cycle-parent";
    const parent = await submit(product, { title: "p" });
    const r = await api<Problem>("POST", `${P(product)}/jobs/${parent.id}/children`, {
      token: ADMIN,
      json: { children: [{ title: "x", deps: [parent.id] }] },
    });
    expect(r.status).toBe(400);
    expect(r.body.detail).toContain(`#0 → ${parent.id} → #0`);
    const later = await submit(product, { title: "after p", deps: [parent.id] });
    const r2 = await api<Problem>("POST", `${P(product)}/jobs/${parent.id}/children`, {
      token: ADMIN,
      json: { children: [{ title: "x", deps: [later.id] }] },
    });
    expect(r2.status).toBe(400);
    expect(r2.body.cycle).toEqual(["#0", later.id, parent.id, "#0"]);
  });

  it("an unknown dep or an out-of-range sibling, named", async () => {
    const product = "dag-unknown";
    const r = await api<Problem>("POST", `${P(product)}/jobs`, {
      token: ADMIN,
      json: { manifest: { title: "x", deps: ["job_nope"] } },
    });
    expect(r.status).toBe(400);
    expect(r.body.detail).toContain("job_nope");
    const parent = await submit(product, { title: "p" });
    const r2 = await api<Problem>("POST", `${P(product)}/jobs/${parent.id}/children`, {
      token: ADMIN,
      json: { children: [{ title: "x", deps: ["#5"] }] },
    });
    expect(r2.status).toBe(400);
    expect(r2.body.detail).toContain("#5");
  });

  it("a dep that already ended without shipping", async () => {
    const product = "dag-dead-at-submit";
    const a = await submit(product, { title: "A" });
    await act(product, a.id, "cancel");
    const r = await api<Problem>("POST", `${P(product)}/jobs`, {
      token: ADMIN,
      json: { manifest: { title: "x", deps: [a.id] } },
    });
    expect(r.status).toBe(400);
    expect(r.body.detail).toContain(`${a.id} is cancelled`);
  });
});

describe("tree and roles", () => {
  it("GET tree returns the subtree with stages, deps and waiting reasons; a viewer reads it but cannot add children", async () => {
    const product = "dag-tree";
    const parent = await submit(product, { title: "p", children: [{ title: "c0" }, { title: "c1", deps: ["#0"] }] });
    const viewer = await api<{ token: string }>("POST", `${P(product)}/tokens`, {
      token: ADMIN,
      json: { role: "viewer", name: "v" },
    });
    const r = await api<{ root: Record<string, unknown> & { children: Array<Record<string, unknown>> } }>(
      "GET",
      `${P(product)}/jobs/${parent.id}/tree`,
      { token: viewer.body.token },
    );
    expect(r.status).toBe(200);
    const [c0, c1] = r.body.root.children;
    expect(r.body.root).toMatchObject({ id: parent.id, title: "p", stage: "blocked", kind: "composite", deps: [] });
    expect(Object.keys(r.body.root).sort()).toEqual(
      ["id", "title", "stage", "kind", "priority", "deps", "waitingReason", "children"].sort(),
    );
    expect(c0).toMatchObject({ title: "c0", stage: "queued", kind: "task", children: [] });
    expect(c1).toMatchObject({ title: "c1", stage: "blocked", deps: [c0!.id] });
    // Each node says why it waits, by the one rule (core/waiting): no factory yet; c1 on c0; the parent on both.
    const code = (n: Record<string, unknown> | undefined) => (n?.waitingReason as { code: string } | null)?.code;
    expect(code(c0)).toMatch(/^no_(capable_factory|factory_connected)$/);
    expect(code(c1)).toBe("deps_unmet");
    expect(code(r.body.root)).toBe("children_running");
    const post = await api<Problem>("POST", `${P(product)}/jobs/${parent.id}/children`, {
      token: viewer.body.token,
      json: { children: [{ title: "x" }] },
    });
    expect(post.status).toBe(403);
    expect((await api("GET", `${P(product)}/jobs/job_nope/tree`, { token: ADMIN })).status).toBe(404);
  });
});

describe("an operator's hand on a composite (found by a reviewer)", () => {
  it("a composite rejected through …/reviews with onReject requeue fails, saying why, and is never claimed", async () => {
    const product = "dag-review-reject";
    const f = await enroll(product, "f");
    const r = await api<JobView & { children?: JobView[] }>("POST", `${P(product)}/jobs`, {
      token: ADMIN,
      json: { manifest: { title: "p", reviewers: 1, onReject: "requeue", children: [{ title: "c1" }] } },
    });
    expect(r.status).toBe(201);
    const parentId = r.body.id;
    const c = await claim(product, f.token);
    expect(c.status).toBe(200);
    const child = c.body.job.id;
    const path = `${P(product)}/jobs/${child}`;
    await api("PATCH", path, { token: f.token, json: { leaseEpoch: c.body.lease.leaseEpoch, stage: "building" } });
    await api("PATCH", path, { token: f.token, json: { leaseEpoch: c.body.lease.leaseEpoch, stage: "testing" } });
    expect((await api("POST", `${path}/actions/ship`, { token: ADMIN, json: {} })).status).toBe(200);
    expect((await readJob(product, parentId)).stage).toBe("review");

    const rejected = await api("POST", `${P(product)}/jobs/${parentId}/reviews`, {
      token: ADMIN,
      json: { verdict: "reject", comment: "redo" },
    });
    expect(rejected.status).toBe(201);
    // It has no run to redo: requeued, it found its gate met and was back in review at once, the rejection lost.
    const failed = (await readJob(product, parentId)) as JobView & { lastResult?: { message?: string } };
    expect(failed.stage).toBe("failed");
    expect(failed.lastResult?.message).toBe(`rejected by admin: redo; ${COMPOSITE_NOT_REQUEUED}`);
    const next = await claim(product, f.token);
    expect(next.status).toBe(204);
  });

  it("a parent failed by a cancelled child says it can never run again, not to requeue the child", async () => {
    const product = "dag-cancelled-child";
    const r = await api<JobView>("POST", `${P(product)}/jobs`, {
      token: ADMIN,
      json: { manifest: { title: "p", children: [{ title: "c1" }, { title: "c2" }] } },
    });
    const kids = await api<{ jobs: JobView[] }>("GET", `${P(product)}/jobs?limit=10`, { token: ADMIN });
    const c1 = kids.body.jobs.find((j) => j.title === "c1")!;
    expect((await api("POST", `${P(product)}/jobs/${c1.id}/actions/cancel`, { token: ADMIN, json: {} })).status).toBe(
      200,
    );
    expect((await readJob(product, r.body.id)).stage).toBe("failed");
    const requeue = await api<Problem>("POST", `${P(product)}/jobs/${r.body.id}/actions/requeue`, {
      token: ADMIN,
      json: {},
    });
    expect(requeue.status).toBe(409);
    expect(requeue.body.detail).toContain("can never run again");
    expect(requeue.body.detail).not.toContain("requeue that job first");
  });
});
