// A connected agent hears of a raised seat limit (`grant`) before any work for the new seat is pushed to it, even
// when a dispatch pass of another unit runs while the approval is still returning (its outbox shipping). The grant was
// sent only after that wait, so such a pass pushed an `assign` for a seat the agent did not know it had, and the agent
// released the job ("no free seat"). It is now sent in the approving unit's answer, at the commit.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { ProductCoordinator } from "../../src/durable-objects/product-coordinator.ts";
import { enroll, submit } from "./client";
import { type AssignFrame, connectFactory } from "./sockets";

type Coordinator = ProductCoordinator & { link: { dispatch(): void } };

describe("raising a connected factory's seat limit", () => {
  it("tells the agent the grant before a pass run meanwhile pushes work for the new seat", async () => {
    const product = "grant-order";
    const f = await enroll(product, "f", [], 1);
    const { socket, welcome } = await connectFactory(product, f.token, { seats: 2 });
    expect(welcome).toMatchObject({ seats: 1, seatLimit: 1 });
    await submit(product, { title: "runs" });
    expect((await socket.next<AssignFrame>("assign")).assignments).toHaveLength(1);
    await submit(product, { title: "waits for a second seat" });
    const sent = await runInDurableObject(env.COORDINATOR.getByName(product), async (pc: ProductCoordinator, st) => {
      const c = pc as Coordinator;
      const ws = st.getWebSockets(f.factoryId)[0]!;
      const types: string[] = [];
      const send = ws.send.bind(ws);
      ws.send = (m: string | ArrayBuffer | ArrayBufferView) => {
        types.push((JSON.parse(String(m)) as { type: string }).type);
        send(m);
      };
      const approving = c.approveFactoryGrant(product, f.factoryId, { seatLimit: 2 }, "admin", "admin"); // committed
      c.link.dispatch(); // another unit's pass, while the approval's outbox ships
      await approving;
      return types;
    });
    expect(sent).toEqual(["grant", "assign"]);
    socket.close();
  });
});
