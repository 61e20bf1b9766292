// A run a lease expiry ended says whether its factory's link was lost (`linkLostAt` on the run): a host whose socket
// closed while it held the lease (crashed, network cut) reads "lost its link at T; its lease expired at T'" in the
// CLI and the dashboard, where `timeout: lease expired` alone read like the job's own time limit. A holder still
// connected at the expiry (a paused agent) gets no such field; the outcome code stays `timeout` (scripts read it).
// The job, queued again, says its host is not connected and, too, kept from the job until when (no second wait).
import { describe, expect, it } from "vitest";
import { ADMIN, api, enroll, P, submit, until } from "./client.ts";
import { type AssignFrame, connectFactory } from "./sockets.ts";
import { expireLeaseNow, runExpiry } from "./state.ts";

interface RunView {
  factoryId: string;
  endedAt?: number;
  result?: { outcome: string; message?: string };
  linkLostAt?: number;
}

async function runsOf(product: string, jobId: string): Promise<RunView[]> {
  const r = await api<{ runs: RunView[] }>("GET", `${P(product)}/jobs/${jobId}/runs`, { token: ADMIN });
  expect(r.status).toBe(200);
  return r.body.runs;
}

/** A connected one-seat factory holding job `x`'s lease. */
async function holding(product: string) {
  const f = await enroll(product, "gpu-1");
  const { socket } = await connectFactory(product, f.token);
  const x = await submit(product, { title: "x", maxAttempts: 3 });
  const a = (await socket.next<AssignFrame>("assign")).assignments[0]!;
  expect(a.job.id).toBe(x.id);
  return { f, socket, x };
}

describe("a run a lease expiry ended", () => {
  it("says when its holder's link was lost, when it closed during the run", async () => {
    const product = "lease-expiry-link-lost";
    const { f, socket, x } = await holding(product);
    socket.close();
    const gone = await until(
      async () =>
        (
          await api<{ disconnectedAt: number | null }>("GET", `${P(product)}/factories/${f.factoryId}`, {
            token: ADMIN,
          })
        ).body,
      (b) => typeof b.disconnectedAt === "number",
      { what: "the close recorded" },
    );
    await expireLeaseNow(product, x.id);
    await runExpiry(product, x.id);
    const [run] = await runsOf(product, x.id);
    expect(run).toMatchObject({ result: { outcome: "timeout", message: "lease expired" } });
    expect(run?.linkLostAt).toBe(gone.disconnectedAt);
    expect(run?.linkLostAt).toBeLessThanOrEqual(run?.endedAt ?? 0);
    // The timeline's lease.lost event says it too (dashboard/timeline).
    type Ev = { type: string; data: { why?: string; linkLostAt?: number } };
    const events = await until(
      async () =>
        (await api<{ events: Ev[] }>("GET", `${P(product)}/jobs/${x.id}/events`, { token: ADMIN })).body.events,
      (es) => es.some((e) => e.type === "lease.lost"),
      { what: "the lease.lost event" },
    );
    expect(events.find((e) => e.type === "lease.lost")?.data).toMatchObject({
      why: "expired",
      linkLostAt: gone.disconnectedAt,
    });
  });

  it("leaves the job saying its host is not connected and, too, kept from the job until when", async () => {
    const product = "lease-expiry-link-reason";
    const { f, socket, x } = await holding(product);
    socket.close();
    await until(
      async () =>
        (await api<{ connected: boolean }>("GET", `${P(product)}/factories/${f.factoryId}`, { token: ADMIN })).body,
      (b) => !b.connected,
      { what: "the close recorded" },
    );
    await expireLeaseNow(product, x.id);
    await runExpiry(product, x.id);
    type Reason = { code: string; message: string; detail: { until?: number } };
    const job = await api<{ waitingReason: Reason }>("GET", `${P(product)}/jobs/${x.id}`, { token: ADMIN });
    const reason = job.body.waitingReason;
    expect(reason.code).toBe("no_factory_connected");
    expect(reason.message).toMatch(
      /^no factory that can run it is connected \(gpu-1\); once back, it is kept from gpu-1 until \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \(its lease there expired: `gigafactory requeue /,
    );
    expect(reason.detail.until).toBeGreaterThan(Date.now());
  });

  it("says nothing of a link when its holder was still connected", async () => {
    const product = "lease-expiry-link-up";
    const { socket, x } = await holding(product);
    await expireLeaseNow(product, x.id);
    await runExpiry(product, x.id);
    const [run] = await runsOf(product, x.id);
    expect(run).toMatchObject({ result: { outcome: "timeout", message: "lease expired" } });
    expect(run).not.toHaveProperty("linkLostAt");
    socket.close();
  });
});
