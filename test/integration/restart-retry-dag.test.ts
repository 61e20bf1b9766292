// Work the coordinator has promised survives its restart (state.abort()): a retry waiting out its backoff is
// still pushed once the backoff ends, and a composite parent still moves on when its last child ships after
// restarts between the child's claim, its reports and its ship.
import { describe, expect, it, vi } from "vitest";
import { ADMIN, api, claim, enroll, getJob, P, submit } from "./client.ts";
import { type AssignFrame, connectFactory } from "./sockets.ts";
import { restartCoordinator } from "./state.ts";

vi.setConfig({ testTimeout: 30_000 });

describe("across a coordinator restart", () => {
  it("a delayed retry is still pushed once its backoff ends", async () => {
    const product = "restart-retry";
    const settings = { retry: { baseSeconds: 2, maxSeconds: 2, jitter: 0 } };
    expect((await api("PATCH", `${P(product)}/settings`, { token: ADMIN, json: settings })).status).toBe(200);
    const f = await enroll(product, "f");
    const first = await connectFactory(product, f.token);
    const job = await submit(product, { title: "flaky" });
    const a = (await first.socket.next<AssignFrame>("assign")).assignments[0]!;
    first.socket.send({
      type: "fail",
      id: "f1",
      jobId: job.id,
      leaseEpoch: a.leaseEpoch,
      result: { outcome: "failure" },
    });
    await first.socket.next("ack");
    await restartCoordinator(product);
    const again = await connectFactory(product, f.token);
    // Waits for the frame, not a delay: the 2 s backoff ends, the alarm armed before the restart pushes it.
    const second = (await again.socket.next<AssignFrame>("assign", 15_000)).assignments[0]!;
    expect(second.job).toMatchObject({ id: job.id, attempt: 2 });
    again.socket.close();
  });

  it("a composite parent moves on when its last child ships after restarts", async () => {
    const product = "restart-dag";
    const f = await enroll(product, "f");
    const parent = await submit(product, { title: "p", children: [{ title: "a" }] });
    const c = await claim(product, f.token);
    await restartCoordinator(product);
    const path = `${P(product)}/jobs/${c.body.job.id}`;
    await api("PATCH", path, { token: f.token, json: { leaseEpoch: c.body.lease.leaseEpoch, stage: "building" } });
    await restartCoordinator(product);
    const done = await api("PATCH", path, {
      token: f.token,
      json: { leaseEpoch: c.body.lease.leaseEpoch, stage: "testing" },
    });
    expect(done.status).toBe(200);
    await restartCoordinator(product);
    await api("POST", `${path}/actions/ship`, { token: ADMIN });
    expect((await getJob(product, parent.id)).stage).toBe("testing");
    const stats = await api<{ counts: Record<string, number> }>("GET", `${P(product)}/stats`, { token: ADMIN });
    expect(stats.body.counts).toMatchObject({ shipped: 1, testing: 1 });
  });
});
