// A connected factory's agent is told when an operator returns its factory to work (factories/standing
// `statusNotice`): `factory release`, `status active` out of a quarantine, `status active` out of draining — each an
// `active` frame with who did it, after the `drain` it had. Before, nothing was sent: the agent heard only at its next
// assign or welcome, and kept saying "quarantined … run `gigafactory factory release`" after the operator had. An
// active factory made active again is told nothing; the error budget's own quarantine, released, is told too.
import { describe, expect, it } from "vitest";
import { ADMIN, api, enroll, P } from "./client.ts";
import { failedIntoQuarantine } from "./error-budget-quarantine.ts";
import { connectFactory, type TestSocket } from "./sockets.ts";

type StatusFrame = { type: string; reason: string; status?: string };

async function setStatus(product: string, factoryId: string, status: string) {
  const r = await api("POST", `${P(product)}/factories/${factoryId}/status`, { token: ADMIN, json: { status } });
  expect(r.status).toBe(200);
}

async function release(product: string, factoryId: string) {
  const r = await api("POST", `${P(product)}/factories/${factoryId}/release`, { token: ADMIN });
  expect(r.status).toBe(200);
}

/** The `active` and `drain` frames the socket got, in order (read after a later frame proved they had all come). */
const statusFrames = (socket: TestSocket) => socket.arrivals.filter((t) => t === "active" || t === "drain");

describe("an operator returns a connected factory to work", () => {
  it("release and status active out of a quarantine, activate out of draining: each an `active` frame", async () => {
    const product = "factory-status-notices";
    const f = await enroll(product, "host");
    const { socket } = await connectFactory(product, f.token);

    await setStatus(product, f.factoryId, "quarantined");
    expect(await socket.next<StatusFrame>("drain")).toMatchObject({ status: "quarantined" });
    await release(product, f.factoryId);
    const released = await socket.next<StatusFrame>("active");
    expect(released).toEqual({ type: "active", reason: expect.stringMatching(/^released by \S+/) });

    await setStatus(product, f.factoryId, "quarantined");
    await socket.next("drain");
    await setStatus(product, f.factoryId, "active");
    expect((await socket.next<StatusFrame>("active")).reason).toMatch(/^released by \S+/);

    await setStatus(product, f.factoryId, "draining");
    await socket.next("drain");
    await setStatus(product, f.factoryId, "active");
    expect((await socket.next<StatusFrame>("active")).reason).toMatch(/^activated by \S+/);

    // Already active: nothing to tell. The drain that follows is the next status frame the socket got.
    await setStatus(product, f.factoryId, "active");
    await setStatus(product, f.factoryId, "draining");
    await socket.next("drain");
    expect(statusFrames(socket)).toEqual(["drain", "active", "drain", "active", "drain", "active", "drain"]);
    socket.close();
  });

  it("the error budget's own quarantine, released: an `active` frame after its drain", async () => {
    const product = "factory-status-notices-auto";
    const { f, socket } = await failedIntoQuarantine(product);
    expect(await socket.next<StatusFrame>("drain")).toMatchObject({ status: "quarantined" });
    await release(product, f.factoryId);
    expect((await socket.next<StatusFrame>("active")).reason).toMatch(/^released by \S+/);
    socket.close();
  });
});
