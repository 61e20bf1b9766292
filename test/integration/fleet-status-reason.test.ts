// The fleet's answer says why a factory is out of rotation: GET …/factories and …/factories/{id} carry `statusReason`
// (`draining by ACTOR`, `quarantined by ACTOR`) beside a draining or quarantined status — it was stored for welcome
// only and removed from every answer, so `gigafactory factories` could not say why a factory was quarantined — and
// none once it is active again, nor on the status change's own answer of an active factory.
import { describe, expect, it } from "vitest";
import { ADMIN, api, enroll, P } from "./client.ts";

type Fleet = { factories: Array<{ id: string; status: string; statusReason?: string }> };

describe("the fleet answer's statusReason", () => {
  it("is the drain's or quarantine's reason while it holds, and gone once active", async () => {
    const product = "fleet-status-reason";
    const f = await enroll(product, "host");
    for (const status of ["draining", "quarantined", "active"] as const) {
      const set = await api("POST", `${P(product)}/factories/${f.factoryId}/status`, {
        token: ADMIN,
        json: { status },
      });
      expect(set.status).toBe(200);
      const listed = (await api("GET", `${P(product)}/factories`, { token: ADMIN })).body as Fleet;
      const one = (await api("GET", `${P(product)}/factories/${f.factoryId}`, { token: ADMIN }))
        .body as Fleet["factories"][0];
      for (const seen of [listed.factories.find((x) => x.id === f.factoryId), one, set.body as typeof one]) {
        expect(seen?.status).toBe(status);
        if (status === "active") expect(seen).not.toHaveProperty("statusReason");
        else expect(seen?.statusReason).toMatch(new RegExp(`^${status} by \\S+`));
      }
    }
  });
});
