// One-time enrollment codes bind what the operator minted them for (found open by a hostile-input reviewer: a code
// carried only its lifetime, so whoever redeemed it chose the host name and 64 seats). A code minted with a name
// enrolls only that host — another name is refused and the code stays usable — and a code minted with seats caps
// the redeeming host's seat limit, whatever it asks for. A code minted with neither works as before: the host's
// first declaration is its grant. Either way a code works once.
import { describe, expect, it } from "vitest";
import { ADMIN, api, P } from "./client";

type Code = { code: string; name?: string; seats?: number };
type Enrolled = { factoryId: string; factory: { name: string; seatLimit: number; approvedCapabilities: string[] } };

const mint = (product: string, json: Record<string, unknown>) =>
  api<Code & { code: string }>("POST", `${P(product)}/factories/enrollment-codes`, { token: ADMIN, json });
const redeem = (product: string, code: string, json: Record<string, unknown>) =>
  api<Enrolled & { code?: string; detail?: string }>("POST", `${P(product)}/factories/enroll`, {
    token: code,
    json,
  });

describe("enrollment codes", () => {
  it("bound to a name and seats: another name is refused (the code kept), more seats are capped", async () => {
    const product = "codes-bound";
    const minted = await mint(product, { name: "gpu-host-1", seats: 2 });
    expect(minted.status).toBe(201);
    expect(minted.body).toMatchObject({ name: "gpu-host-1", seats: 2 });
    const code = minted.body.code;

    const wrong = await redeem(product, code, { name: "someone-else", capabilities: ["gpu"], seats: 2 });
    expect(wrong.status).toBe(403);
    expect(wrong.body.code).toBe("forbidden");
    // The refusal does not name the bound host: a stolen code must not tell its holder the name that redeems it.
    expect(wrong.body.detail).not.toContain("gpu-host-1");
    expect(JSON.stringify(wrong.body)).not.toContain("gpu-host-1");

    const ok = await redeem(product, code, { name: "gpu-host-1", capabilities: ["gpu"], seats: 64 });
    expect(ok.status).toBe(201);
    expect(ok.body.factory).toMatchObject({ name: "gpu-host-1", seatLimit: 2 });

    const again = await redeem(product, code, { name: "gpu-host-1", seats: 1 });
    expect(again.status).toBe(401); // used up
    const listed = await api<{ factories: Array<{ name: string }> }>("GET", `${P(product)}/factories`, {
      token: ADMIN,
    });
    expect(listed.body.factories.map((f) => f.name)).toEqual(["gpu-host-1"]);
  });

  it("a host asking for fewer seats than the code allows gets what it asked for", async () => {
    const product = "codes-fewer";
    const { code } = (await mint(product, { seats: 8 })).body;
    const ok = await redeem(product, code, { name: "small", seats: 3 });
    expect(ok.body.factory.seatLimit).toBe(3);
  });

  it("unbound: the host's first declaration is its grant, as before", async () => {
    const product = "codes-unbound";
    const minted = await mint(product, {});
    expect(minted.body.name).toBeUndefined();
    const ok = await redeem(product, minted.body.code, { name: "any", capabilities: ["os:linux"], seats: 4 });
    expect(ok.status).toBe(201);
    expect(ok.body.factory).toMatchObject({ name: "any", seatLimit: 4, approvedCapabilities: ["os:linux"] });
  });

  it("refuses a bad binding at minting: a name that is no host name, seats out of range", async () => {
    const product = "codes-bad";
    for (const json of [{ name: "a/b" }, { name: "" }, { seats: 0 }, { seats: 65 }, { seats: 1.5 }]) {
      const r = await mint(product, json);
      expect(r.status, JSON.stringify(json)).toBe(400);
    }
  });
});
