// A local runtime that dies without a chance to stop (SIGKILL, as the peer harness's stop does after 10 s) takes
// its workerd with it: the runtime's own process group is killed when the runtime process ends, so no workerd is
// left serving the port and writing the state, and a new runtime starts on the same port and the same state.
import { afterAll, describe, expect, it } from "vitest";
import { isRunning, waitGone } from "../../scripts/process-tree.ts";
import { ADMIN, call, type Harness, startHarness, workerdOf } from "./harness.ts";

describe("a local runtime killed outright", () => {
  let h: Harness | undefined;
  afterAll(async () => {
    await h?.close();
  });

  it.runIf(process.platform === "linux")(
    "leaves no workerd behind, and the port and state are free for the next start",
    async () => {
      h = await startHarness();
      const product = await call(h.url, "POST", "/api/v1/products", ADMIN, { id: "e2e-death" });
      expect([200, 201]).toContain(product.status);
      const runtime = h.server.child.pid!;
      const workerd = workerdOf(runtime);
      expect(workerd).toBeDefined();

      process.kill(runtime, "SIGKILL"); // the runtime alone: nothing of it runs to stop its workerd
      expect(await waitGone([runtime, workerd!], 10_000)).toBe(true);
      expect(isRunning(workerd!)).toBe(false);

      // The same port and state: a workerd left behind would hold the port (the start would fail) or the state.
      await h.restart("stop");
      const again = await call<{ products: Array<{ id: string }> }>(h.url, "GET", "/api/v1/products", ADMIN);
      expect(again.status).toBe(200);
      expect(again.body.products.map((p) => p.id)).toContain("e2e-death");
    },
  );
});
