// A run's `linkLostAt` (a lease expiry's holder seen to lose its link during the run) attacked: a link that dropped
// and came back within the lease says nothing; a link lost before the run began (an HTTP poller after a socket)
// says nothing; a holder heard from after its link ended (an HTTP beat) did not crash, and says nothing; a revoke
// that takes a lapsed lease from a connected holder is no lost link (the revoke's own end is not read); a second run
// of the job on the same factory says only its own loss; a link that went down with a coordinator restart has no
// time, so none is said. Every expiry's run carries its holder's last heartbeat (`lastHeartbeatAt`): with no link
// lost (a paused agent), the one fact there is of the host.
import { describe, expect, it } from "vitest";
import { ADMIN, api, claim, enroll, P, submit, until } from "./client.ts";
import { type AssignFrame, connectFactory } from "./sockets.ts";
import { expireLeaseNow, lapseExclusions, lapseLease, restartCoordinator, runExpiry, settleAlarm } from "./state.ts";

interface RunView {
  factoryId: string;
  leaseEpoch: number;
  startedAt: number;
  endedAt?: number;
  result?: { outcome: string; message?: string };
  linkLostAt?: number;
  lastHeartbeatAt?: number;
}

async function runsOf(product: string, jobId: string): Promise<RunView[]> {
  const r = await api<{ runs: RunView[] }>("GET", `${P(product)}/jobs/${jobId}/runs`, { token: ADMIN });
  expect(r.status).toBe(200);
  return r.body.runs;
}

type Link = { connected: boolean; disconnectedAt: number | null; lastHeartbeatAt?: number };
const linkWhen = (product: string, factoryId: string, ok: (l: Link) => boolean, what: string) =>
  until(async () => (await api<Link>("GET", `${P(product)}/factories/${factoryId}`, { token: ADMIN })).body, ok, {
    what,
  });
const closeRecorded = (product: string, factoryId: string) =>
  linkWhen(product, factoryId, (l) => typeof l.disconnectedAt === "number", "the close recorded");

/** A connected one-seat factory holding job `x`'s lease. */
async function holding(product: string) {
  const f = await enroll(product, "gpu-1");
  const { socket } = await connectFactory(product, f.token);
  const x = await submit(product, { title: "x", maxAttempts: 3 });
  const a = (await socket.next<AssignFrame>("assign")).assignments[0]!;
  expect(a.job.id).toBe(x.id);
  return { f, socket, x };
}

async function expireNow(product: string, jobId: string) {
  await expireLeaseNow(product, jobId);
  await runExpiry(product, jobId);
}

describe("a run's linkLostAt, attacked", () => {
  it("says nothing when the link dropped and came back within the lease", async () => {
    const product = "lease-attack-back";
    const { f, socket, x } = await holding(product);
    socket.close();
    await closeRecorded(product, f.factoryId);
    const again = await connectFactory(product, f.token);
    await linkWhen(product, f.factoryId, (l) => l.connected, "connected again");
    await expireNow(product, x.id);
    const [run] = await runsOf(product, x.id);
    expect(run).toMatchObject({ result: { outcome: "timeout", message: "lease expired" } });
    expect(run).not.toHaveProperty("linkLostAt");
    again.socket.close();
  });

  it("says nothing of a link lost before the run began (an HTTP poller after a socket)", async () => {
    const product = "lease-attack-before";
    const f = await enroll(product, "gpu-1");
    const { socket } = await connectFactory(product, f.token);
    socket.close();
    await closeRecorded(product, f.factoryId);
    const x = await submit(product, { title: "x", maxAttempts: 3 });
    const claimed = await claim(product, f.token);
    expect(claimed.body.job.id).toBe(x.id);
    await expireNow(product, x.id);
    const [run] = await runsOf(product, x.id);
    expect(run).toMatchObject({ result: { outcome: "timeout" } });
    expect(run).not.toHaveProperty("linkLostAt");
  });

  it("says nothing when the holder was heard from after its link ended (an HTTP heartbeat)", async () => {
    const product = "lease-attack-heard";
    const { f, socket, x } = await holding(product);
    socket.close();
    const gone = await closeRecorded(product, f.factoryId);
    const beat = await until(
      () => api("POST", `${P(product)}/factories/heartbeat`, { token: f.token, json: {} }),
      // The beat lands in a later ms than the close: a beat in the close's own ms says nothing of after.
      (r) => r.status === 200 && Date.now() > (gone.disconnectedAt ?? 0),
      { what: "an HTTP heartbeat after the close" },
    );
    expect(beat.status).toBe(200);
    await expireNow(product, x.id);
    const [run] = await runsOf(product, x.id);
    expect(run).toMatchObject({ result: { outcome: "timeout" } });
    expect(run).not.toHaveProperty("linkLostAt");
  });

  it("says nothing when a revoke takes a lapsed lease from a holder still connected", async () => {
    const product = "lease-attack-revoke";
    const { f, socket, x } = await holding(product);
    await settleAlarm(product);
    await lapseLease(product, x.id);
    const r = await api("POST", `${P(product)}/factories/${f.factoryId}/token/revoke`, { token: ADMIN });
    expect(r.status).toBe(200);
    const [run] = await runsOf(product, x.id);
    expect(run).toMatchObject({ result: { outcome: "timeout", message: "lease expired" } });
    expect(run).not.toHaveProperty("linkLostAt");
    socket.close();
  });

  it("says each run's own loss when one factory ran the job twice", async () => {
    const product = "lease-attack-twice";
    const { f, socket, x } = await holding(product);
    socket.close();
    const first = await closeRecorded(product, f.factoryId);
    await expireNow(product, x.id);
    const again = await connectFactory(product, f.token);
    await lapseExclusions(product, x.id);
    // Any unit that moves the queue dispatches: a second job's submit offers the first again to the one seat.
    await submit(product, { title: "nudge" });
    const a = (await again.socket.next<AssignFrame>("assign")).assignments[0]!;
    expect(a.job.id).toBe(x.id);
    await expireNow(product, x.id);
    const runs = await runsOf(product, x.id);
    expect(runs.map((r) => r.factoryId)).toEqual([f.factoryId, f.factoryId]);
    expect(runs[0]?.linkLostAt).toBe(first.disconnectedAt);
    expect(runs[1]).toMatchObject({ result: { outcome: "timeout" } });
    expect(runs[1]).not.toHaveProperty("linkLostAt");
    again.socket.close();
  });

  it("says no time for a link that went down with a coordinator restart", async () => {
    const product = "lease-attack-restart";
    const { socket, x } = await holding(product);
    await restartCoordinator(product); // the socket dropped with no close: its end was never seen
    await expireNow(product, x.id);
    const [run] = await runsOf(product, x.id);
    expect(run).toMatchObject({ result: { outcome: "timeout" } });
    expect(run).not.toHaveProperty("linkLostAt");
    socket.close();
  });

  it("carries the holder's last heartbeat when no link was lost (a paused agent)", async () => {
    const product = "lease-attack-beat";
    const { f, socket, x } = await holding(product);
    socket.send({ type: "heartbeat", id: "beat-1" });
    await socket.next("ack"); // the beat is recorded before the expiry
    const up = await linkWhen(product, f.factoryId, (l) => (l.lastHeartbeatAt ?? 0) > 0, "a beat recorded");
    await expireNow(product, x.id);
    const [run] = await runsOf(product, x.id);
    expect(run).not.toHaveProperty("linkLostAt");
    expect(run?.lastHeartbeatAt).toBe(
      (await api<Link>("GET", `${P(product)}/factories/${f.factoryId}`, { token: ADMIN })).body.lastHeartbeatAt,
    );
    expect(run?.lastHeartbeatAt).toBeGreaterThanOrEqual(up.lastHeartbeatAt ?? 0);
    // The timeline's lease.lost event says it too, as it says linkLostAt.
    type Ev = { type: string; data: { why?: string; linkLostAt?: number; lastHeartbeatAt?: number } };
    const events = await until(
      async () =>
        (await api<{ events: Ev[] }>("GET", `${P(product)}/jobs/${x.id}/events`, { token: ADMIN })).body.events,
      (es) => es.some((e) => e.type === "lease.lost"),
      { what: "the lease.lost event" },
    );
    const lost = events.find((e) => e.type === "lease.lost")?.data;
    expect(lost).toMatchObject({ why: "expired", lastHeartbeatAt: run?.lastHeartbeatAt });
    expect(lost).not.toHaveProperty("linkLostAt");
    socket.close();
  });
});
