// The REST client's time bounds judge the server's silence, not the client's: with the client's event loop held past
// a bound (a loaded host, a long synchronous step) while the answer was already in its socket, the bound's timer fired
// in the timers phase, before the poll phase read that answer — a request that had been answered failed as
// ResponseTimeoutError (a CLI submit reported a timeout for a job it made, a user then submitted it again), a body
// already in failed as stalled, and an agent's artifact upload failed as `timeout` and was sent again. Each bound now
// decides after a poll (shared/after-poll). The order is forced over a real socket: the server runs in a worker thread
// (test/unit/http-held-loop) and the test holds the loop until the server has written its answer and the bound is
// past. A server that truly says nothing still meets each bound.
import { afterEach, describe, expect, it } from "vitest";
import { RestError, uploadArtifact } from "../../src/agent/rest.ts";
import { GigafactoryClient, ResponseTimeoutError } from "../../src/shared/http-client.ts";
import { until } from "./agent-held-loop.ts";
import { type HeldLoopServer, HTTP_COUNT, holdPastBound, type ServerPlan, serverInWorker } from "./http-held-loop.ts";

/** The bound under test (ms): short, as the hold must pass it. */
const BOUND_MS = 250;

let server: HeldLoopServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(plan: ServerPlan): Promise<HeldLoopServer> {
  server = await serverInWorker(plan);
  return server;
}

/** A client of `url` whose answers must start (and bodies end) within BOUND_MS; `heads` counts the heads it read. */
function clientOf(url: string) {
  const seen = { heads: 0 };
  const client = new GigafactoryClient({
    url,
    product: "p",
    token: "t",
    responseTimeoutMs: BOUND_MS,
    fetch: async (input, init) => {
      const res = await globalThis.fetch(input, init);
      seen.heads++;
      return res;
    },
  });
  return { client, seen };
}

/** Holds the loop until `slot` has been written once and the bound, counted from `since`, is twice past. */
async function holdPast(co: HeldLoopServer, slot: number, since: number): Promise<void> {
  expect(await holdPastBound(co, slot, since, BOUND_MS)).toBe(true);
}

describe("the REST client's bounds, with its loop held", () => {
  it("resolves a request whose answer was written before the bound", async () => {
    const co = await start({ head: "whenHeld", body: '{"id":"job_1"}' });
    const { client } = clientOf(co.url);
    const since = Date.now();
    const answer = client.send("POST", client.productUrl("/jobs"), { json: { prompt: "x" } });
    await until("the request is read", () => co.count(HTTP_COUNT.requests) === 1);
    await holdPast(co, HTTP_COUNT.bodies, since);
    await expect((await answer).json()).resolves.toEqual({ id: "job_1" });
  });

  it("resolves a request whose body was written before the body's bound", async () => {
    const co = await start({ head: "atOnce", bodyAt: "whenHeld", body: '{"id":"job_2"}' });
    const { client, seen } = clientOf(co.url);
    const answer = client.send("GET", client.productUrl("/jobs/job_2"));
    await until("the head is read", () => seen.heads === 1);
    await holdPast(co, HTTP_COUNT.bodies, Date.now());
    await expect((await answer).json()).resolves.toEqual({ id: "job_2" });
  });

  it("resolves an artifact upload whose answer was written before its bound", async () => {
    const co = await start({
      head: "whenHeld",
      body: '{"name":"log","size":3,"sha256":"x","contentType":"text/plain"}',
    });
    const t = { url: co.url, product: "p", token: "t" };
    const since = Date.now();
    const upload = uploadArtifact(t, "job_3", 1, "log", "abc", "text/plain", BOUND_MS);
    await until("the upload is read", () => co.count(HTTP_COUNT.requests) === 1);
    await holdPast(co, HTTP_COUNT.bodies, since);
    await expect(upload).resolves.toMatchObject({ name: "log", size: 3 });
  });

  it("still ends a request whose server never answers", async () => {
    const co = await start({ head: "never" });
    const { client } = clientOf(co.url);
    await expect(client.send("GET", client.productUrl("/jobs"))).rejects.toBeInstanceOf(ResponseTimeoutError);
    expect(co.count(HTTP_COUNT.requests)).toBe(1);
  });

  it("still ends a body that never comes", async () => {
    const co = await start({ head: "atOnce", bodyAt: "never" });
    const { client } = clientOf(co.url);
    const err = await client.send("GET", client.productUrl("/jobs")).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ResponseTimeoutError);
    expect((err as ResponseTimeoutError).started).toBe(true);
  });

  it("still ends an upload whose server never answers", async () => {
    const co = await start({ head: "never" });
    const t = { url: co.url, product: "p", token: "t" };
    const err = await uploadArtifact(t, "job_4", 1, "log", "abc", "text/plain", BOUND_MS).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RestError);
    expect((err as RestError).code).toBe("timeout");
  });
});
