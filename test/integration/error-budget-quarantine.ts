/**
 * A factory the coordinator quarantines by itself (policies/quarantine): its error budget allows 1 failed run per
 * 60 min, breakers are out of the way (a high threshold), and two jobs fail on it, each acked. Returns the enrolled
 * factory and its still-open socket, whose next frame of interest is the quarantine's `drain`.
 */
import { expect } from "vitest";
import { ADMIN, api, enroll, P, submit } from "./client.ts";
import { type AssignFrame, connectFactory } from "./sockets.ts";

export async function failedIntoQuarantine(product: string) {
  const settings = { errorBudget: { maxFailures: 1, windowMinutes: 60 }, breaker: { failureThreshold: 100 } };
  expect((await api("PATCH", `${P(product)}/settings`, { token: ADMIN, json: settings })).status).toBe(200);
  const f = await enroll(product, "flaky");
  const { socket } = await connectFactory(product, f.token);
  for (const title of ["a", "b"]) {
    const job = await submit(product, { title, maxAttempts: 1 });
    const a = (await socket.next<AssignFrame>("assign")).assignments[0]!;
    expect(a.job.id).toBe(job.id);
    const result = { outcome: "failure" as const, retryable: false, message: "engine crashed" };
    socket.send({ type: "fail", id: `fail-${title}`, jobId: job.id, leaseEpoch: a.leaseEpoch, result });
    expect(await socket.answer(`fail-${title}`)).toMatchObject({ type: "ack" });
  }
  return { f, socket };
}
