// An enrollment is a grant (the capabilities a factory is routed on, the seats it may run: factories/registry), so its
// audit entry says what was granted — capabilities and seat limit — beside the host's name, whoever enrolled it: an
// operator directly, or a host with a code whose seat cap cut what it asked for. It said only the name, so the trail
// could not tell what a factory was let do until its first grant approval.
import { describe, expect, it } from "vitest";
import { api, mintToken, P } from "./client";
import { auditDelivered } from "./history-wait.ts";

describe("factory.enroll in the audit trail", () => {
  it("names the capabilities and seat limit granted, for a direct enrollment and for a code's", async () => {
    const product = "enroll-audit-grant";
    const op = await mintToken(product, "operator", "ops");
    const direct = await api<{ factoryId: string }>("POST", `${P(product)}/factories/enroll`, {
      token: op.token,
      json: { name: "box-a", capabilities: ["os:linux", "gpu", "gpu"], seats: 3 },
    });
    expect(direct.status).toBe(201);
    const code = await api<{ code: string }>("POST", `${P(product)}/factories/enrollment-codes`, {
      token: op.token,
      json: { name: "box-b", seats: 2 },
    });
    const redeemed = await api<{ factoryId: string }>("POST", `${P(product)}/factories/enroll`, {
      token: code.body.code,
      json: { name: "box-b", capabilities: ["os:mac"], seats: 8 },
    });
    expect(redeemed.status).toBe(201);

    // Exactly these two: read once all the coordinator wrote is in D1 (history-wait `auditDelivered`) — waiting for
    // two missed a third landing later.
    const enrolled = (await auditDelivered(product)).filter((a) => a.action === "factory.enroll");
    expect(enrolled).toEqual([
      expect.objectContaining({
        actor: "operator:ops",
        target: direct.body.factoryId,
        detail: { name: "box-a", capabilities: ["gpu", "os:linux"], seatLimit: 3 },
      }),
      expect.objectContaining({
        target: redeemed.body.factoryId,
        detail: { name: "box-b", capabilities: ["os:mac"], seatLimit: 2 },
      }),
    ]);
  });
});
