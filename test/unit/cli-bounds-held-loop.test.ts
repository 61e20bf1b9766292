// The CLI's waits judge the server's silence, not the CLI's: with its event loop held past a wait (a loaded machine, a
// long synchronous step) while the answer was already in its socket, the wait's timer fired in the timers phase, before
// the poll phase read that answer — a table's fleet list was dropped and it showed ids (cli/factory-names), a watched
// line printed an id its fleet read had named (cli/watch-names), and a job feed whose next frame had come was dropped
// as silent and opened again (cli/job-feed). Each now decides after a poll (shared/after-poll). The order is forced over
// a real socket: the server runs in a worker thread (test/unit/http-held-loop) and the test holds the loop until the
// server has written the answer and the wait is past. A server that truly says nothing still meets each wait.
import { afterEach, describe, expect, it } from "vitest";
import { factoryNames, fleetAnswer } from "../../src/cli/factory-names.ts";
import { followJobFeed } from "../../src/cli/job-feed.ts";
import { WatchNames } from "../../src/cli/watch-names.ts";
import { GigafactoryClient } from "../../src/shared/http-client.ts";
import { until } from "./agent-held-loop.ts";
import { type HeldLoopServer, HTTP_COUNT, holdPastBound, type ServerPlan, serverInWorker } from "./http-held-loop.ts";

/** The waits under test (ms): short, as the hold must pass them. */
const WAIT_MS = 250;
const FLEET = JSON.stringify({ factories: [{ id: "fac_1", name: "gpu-1" }] });

let server: HeldLoopServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** A server as `plan` says, and a client of it that counts the answers' heads it read. */
async function start(plan: ServerPlan) {
  server = await serverInWorker(plan);
  const seen = { heads: 0 };
  const client = new GigafactoryClient({
    url: server.url,
    product: "p",
    token: "t",
    fetch: async (input, init) => {
      const res = await globalThis.fetch(input, init);
      seen.heads++;
      return res;
    },
  });
  return { co: server, client, seen };
}

/** Holds the loop until `slot` has been written once and the wait, counted from `since`, is twice past. */
async function holdPast(co: HeldLoopServer, slot: number, since: number): Promise<void> {
  expect(await holdPastBound(co, slot, since, WAIT_MS)).toBe(true);
}

describe("the CLI's waits, with its loop held", () => {
  it("names the factories when the fleet list was written before the wait (factoryNames)", async () => {
    const { co, client } = await start({ body: FLEET });
    const since = Date.now();
    const names = factoryNames(client, WAIT_MS);
    await until("the fleet read is read", () => co.count(HTTP_COUNT.requests) === 1);
    await holdPast(co, HTTP_COUNT.bodies, since);
    expect([...(await names)]).toEqual([["fac_1", "gpu-1"]]);
  });

  it("keeps a fleet list written before the wait (fleetAnswer)", async () => {
    const { co, client } = await start({ body: FLEET });
    const since = Date.now();
    const answer = fleetAnswer(client, WAIT_MS);
    await until("the fleet read is read", () => co.count(HTTP_COUNT.requests) === 1);
    await holdPast(co, HTTP_COUNT.bodies, since);
    await expect(answer).resolves.toEqual(JSON.parse(FLEET));
  });

  it("names a watched line when the fleet list was written before the wait (WatchNames)", async () => {
    const { co, client } = await start({ body: FLEET });
    const names = new WatchNames(client, WAIT_MS);
    const since = Date.now();
    const learnt = names.learn(["fac_1"]);
    await until("the fleet read is read", () => co.count(HTTP_COUNT.requests) === 1);
    await holdPast(co, HTTP_COUNT.bodies, since);
    await learnt;
    expect(names.named("fac_1")).toBe("gpu-1");
    names.stop();
  });

  it("reads a feed's frame written before the silence, on the one connection (followJobFeed)", async () => {
    const frame = `id: 1\nevent: stage\ndata: ${JSON.stringify({ seq: 1, type: "stage", at: 1, data: {} })}\n\n`;
    const { co, client, seen } = await start({
      head: "atOnce",
      bodyAt: "whenHeld",
      body: frame,
      contentType: "text/event-stream",
    });
    const seqs: number[] = [];
    const followed = followJobFeed(client, "job_1", {
      after: 0,
      silenceMs: WAIT_MS,
      onEvent: (e) => {
        seqs.push(e.seq);
        return true;
      },
    });
    await until("the feed's head is read", () => seen.heads === 1);
    await holdPast(co, HTTP_COUNT.bodies, Date.now());
    await followed;
    expect(seqs).toEqual([1]);
    expect(co.count(HTTP_COUNT.requests)).toBe(1);
  });

  it("still gives up a fleet read that never answers", async () => {
    const { client } = await start({ head: "never" });
    await expect(factoryNames(client, WAIT_MS)).resolves.toEqual(new Map());
    await expect(fleetAnswer(client, WAIT_MS)).resolves.toBeUndefined();
    const names = new WatchNames(client, WAIT_MS);
    await names.learn(["fac_1"]);
    expect(names.named("fac_1")).toBe("fac_1");
    names.stop();
  });
});
