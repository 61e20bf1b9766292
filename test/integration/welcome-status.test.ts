// A factory's `welcome` carries its status (factories/standing): a `drain` reaches only the sockets open when it is
// sent, so an agent that connected after an operator drained or quarantined its factory — or after the error budget
// quarantined it — was welcomed with nothing of it and sat idle without a word. Now a reconnect's welcome says
// `status` and, while it is not active, `statusReason` (the drain's reason); an active factory's says `active` with
// no reason, and a released one's drops the old reason. Every drain the coordinator sends says its `status`: the
// automatic quarantine's was read back from its reason's first word, so a reworded reason would have said `draining`.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { noteDrain } from "../../src/durable-objects/coordinator/factories/notices.ts";
import type { Units } from "../../src/durable-objects/coordinator/runtime/units.ts";
import { ADMIN, api, enroll, P } from "./client.ts";
import { failedIntoQuarantine } from "./error-budget-quarantine.ts";
import { connectFactory } from "./sockets.ts";

type Welcome = Awaited<ReturnType<typeof connectFactory>>["welcome"];
const standing = (w: Welcome) => ({ status: w.status, statusReason: w.statusReason });

async function setStatus(product: string, factoryId: string, status: string) {
  const r = await api("POST", `${P(product)}/factories/${factoryId}/status`, { token: ADMIN, json: { status } });
  expect(r.status).toBe(200);
}

describe("a reconnecting factory's welcome", () => {
  it("says an operator's drain or quarantine, with why, until it is lifted", async () => {
    const product = "welcome-status-operator";
    const f = await enroll(product, "host");
    const first = await connectFactory(product, f.token);
    expect(standing(first.welcome)).toEqual({ status: "active", statusReason: undefined });
    first.socket.close();
    for (const status of ["draining", "quarantined"] as const) {
      await setStatus(product, f.factoryId, status);
      const again = await connectFactory(product, f.token);
      expect(again.welcome.status).toBe(status);
      expect(again.welcome.statusReason).toMatch(new RegExp(`^${status} by \\S+`));
      again.socket.close();
    }
    await setStatus(product, f.factoryId, "active"); // a release: the old reason goes with the status
    const back = await connectFactory(product, f.token);
    expect(standing(back.welcome)).toEqual({ status: "active", statusReason: undefined });
    back.socket.close();
  });

  it("says the error budget's quarantine, as its drain said it", async () => {
    const product = "welcome-status-auto";
    const { f, socket } = await failedIntoQuarantine(product);
    const drain = await socket.next<{ type: "drain"; reason: string; status?: string }>("drain");
    expect(drain.status).toBe("quarantined");
    socket.close();
    const again = await connectFactory(product, f.token);
    expect(standing(again.welcome)).toEqual({ status: "quarantined", statusReason: drain.reason });
    again.socket.close();
  });
});

describe("the automatic quarantine's drain", () => {
  it("says status quarantined whatever its reason's words", async () => {
    const product = "welcome-status-reworded";
    const f = await enroll(product, "host");
    const { socket } = await connectFactory(product, f.token);
    const reason = "error budget spent: more than 1 failed run within 60 min";
    await runInDurableObject(env.COORDINATOR.getByName(product), async (instance) => {
      const units = (instance as unknown as { units: Units }).units;
      const outcome = await units.run(product, (tx) => noteDrain(tx, f.factoryId, reason)); // as policies/quarantine
      expect(outcome.ok).toBe(true);
    });
    expect(await socket.next("drain")).toEqual({ type: "drain", reason, status: "quarantined" });
    socket.close();
    const again = await connectFactory(product, f.token);
    expect(standing(again.welcome)).toEqual({ status: "quarantined", statusReason: reason });
    again.socket.close();
  });
});
