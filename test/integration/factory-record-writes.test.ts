// A unit that changes a factory's record writes it once (factories/registry `storeFactory`, counted here by its
// statements): the error budget's own quarantine set the status, then the reason its `welcome` repeats — two reads,
// parses and writes of the whole document in the unit of the run's end (policies/quarantine, factories/notices
// `noteDrain`); an operator's `status draining` of a quarantined factory released it to active, then drained it
// (factories/admin); a clean leave recorded the closed link, then that it left (link-ends `noteLinkEnded`). Each is
// one write now, and the record ends as the two writes left it.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { setFactoryStatus } from "../../src/durable-objects/coordinator/factories/admin.ts";
import { noteLinkEnded } from "../../src/durable-objects/coordinator/factories/link-ends.ts";
import { readFactory } from "../../src/durable-objects/coordinator/factories/registry.ts";
import { noteFactoryFailure } from "../../src/durable-objects/coordinator/policies/quarantine.ts";
import { ADMIN, api, enroll, P } from "./client.ts";
import { factoryWritesOf } from "./factory-writes.ts";
import { connectFactory } from "./sockets.ts";

async function stored(product: string, id: string) {
  return runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) => readFactory(state.storage.sql, id));
}

describe("one write of a factory's record per unit", () => {
  it("the error budget's quarantine: status and reason in one write", async () => {
    const product = "factory-writes-auto";
    const settings = { errorBudget: { maxFailures: 1, windowMinutes: 60 }, breaker: { failureThreshold: 100 } };
    expect((await api("PATCH", `${P(product)}/settings`, { token: ADMIN, json: settings })).status).toBe(200);
    const f = await enroll(product, "flaky");
    expect(await factoryWritesOf(product, (tx) => noteFactoryFailure(tx, f.factoryId))).toBe(0); // within its budget
    expect(await factoryWritesOf(product, (tx) => noteFactoryFailure(tx, f.factoryId))).toBe(1);
    const doc = await stored(product, f.factoryId);
    expect(doc).toMatchObject({
      status: "quarantined",
      statusReason: "quarantined: more than 1 failed run within 60 min",
    });
  });

  it("an operator's drain of a quarantined factory: released into draining in one write", async () => {
    const product = "factory-writes-drain";
    const f = await enroll(product, "host");
    expect(await factoryWritesOf(product, (tx) => setFactoryStatus(tx, f.factoryId, "quarantined", "alice"))).toBe(1);
    expect(await factoryWritesOf(product, (tx) => setFactoryStatus(tx, f.factoryId, "draining", "alice"))).toBe(1);
    expect(await stored(product, f.factoryId)).toMatchObject({ status: "draining", statusReason: "draining by alice" });
  });

  it("a clean leave: the link's end and that it left in one write", async () => {
    const product = "factory-writes-leave";
    const f = await enroll(product, "host");
    const { socket } = await connectFactory(product, f.token);
    const connection = (await stored(product, f.factoryId))?.connection;
    expect(connection).toBeGreaterThan(0);
    const att = { factoryId: f.factoryId, connection, draining: true };
    expect(await factoryWritesOf(product, (tx) => noteLinkEnded(tx, att, 1000))).toBe(1);
    const doc = await stored(product, f.factoryId);
    expect(doc?.closedConnection).toBe(connection);
    expect(doc?.leftAt).toBeGreaterThan(0);
    socket.close();
  });
});
