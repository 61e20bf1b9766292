// Every path that walks the queue examines a bounded number of due jobs among those it could run: an HTTP claim
// behind MAX_SCAN jobs of its own capability bucket that another hard filter refuses (here a frozen serial gate)
// stops there, as push dispatch does. Jobs of buckets the claimant cannot run are not walked at all
// (queue-buckets.test.ts).
import { describe, expect, it } from "vitest";
import { MAX_SCAN } from "../../src/durable-objects/coordinator/dispatch/urgency-order.ts";
import { ADMIN, api, claim, enroll, P, submit } from "./client";
import { cloneQueued } from "./state";

/** `count` due jobs the claimant's capabilities fit but whose serial gate is frozen, older than what follows. */
async function refused(product: string, count: number): Promise<void> {
  const seed = await submit(product, { title: "gated", requires: ["os:linux"], serialKey: "deploy:prod" });
  const frozen = await api("POST", `${P(product)}/serial/deploy%3Aprod/freeze`, {
    token: ADMIN,
    json: { reason: "scan bound" },
  });
  expect(frozen.status).toBe(200);
  await cloneQueued(product, seed.id, count);
}

describe("scan bound", () => {
  it("HTTP claim examines at most MAX_SCAN due jobs of its buckets: a fitting job behind MAX_SCAN refused ones is not reached", async () => {
    const product = "scan-claim";
    const f = await enroll(product, "cpu-box", ["os:linux"]);
    await refused(product, MAX_SCAN);
    await submit(product, { title: "cpu job", requires: ["os:linux"] });
    // Without the bound, this claim would load and score all MAX_SCAN + 1 jobs and take the last one.
    expect((await claim(product, f.token)).status).toBe(204);
  });

  it("HTTP claim still finds a fitting job inside the bound", async () => {
    const product = "scan-claim-within";
    const f = await enroll(product, "cpu-box", ["os:linux"]);
    await refused(product, MAX_SCAN - 1);
    await submit(product, { title: "cpu job", requires: ["os:linux"] });
    const r = await claim(product, f.token);
    expect(r.status).toBe(200);
    expect(r.body.job).toMatchObject({ title: "cpu job" });
  });
});
