// A factory named on the command line is resolved (cli/factory-ref) only through a fleet list of the coordinator's
// shape, whoever read it: a foreign answer's `{"id": 5, "name": "box"}` sent `routing experiment start --a-prefer box`
// an arm rule for factory 5, and `factoryId` alone sent a change to /factories/5 — a write to a factory nobody named.
// Now it is `✘ ERROR bad_response` naming the field, and nothing is sent.
import { describe, expect, it } from "vitest";
import { factoryId, factoryIdIn } from "../../src/cli/factory-ref.ts";
import { captureCli, connection, stubCoordinator } from "../support/cli-harness.ts";

type Fleet = Parameters<typeof factoryIdIn>[0];
const FOREIGN = [{ id: 5, name: "box" }] as unknown as Fleet;
/** A client whose factory list is `fleet`, whatever its type (the real client casts the answer unchecked). */
const listing = (fleet: unknown) => ({ listFactories: async () => fleet as never });

describe("factoryId and factoryIdIn", () => {
  it("refuse a fleet entry whose id is not a string, as bad_response", async () => {
    expect(() => factoryIdIn(FOREIGN, "box")).toThrow(expect.objectContaining({ code: "bad_response" }));
    await expect(factoryId(listing(FOREIGN), "box")).rejects.toMatchObject({
      code: "bad_response",
    });
  });

  it("refuse a fleet that is no list, instead of failing as a CLI bug", async () => {
    await expect(factoryId(listing(undefined), "box")).rejects.toMatchObject({
      code: "bad_response",
    });
  });

  it("still resolve a name, and keep a listed id", () => {
    const fleet = [
      { id: "fac_1", name: "box", status: "active" },
      { id: "good", name: "other" },
    ];
    expect(factoryIdIn(fleet, "box")).toBe("fac_1");
    expect(factoryIdIn(fleet, "good")).toBe("good");
  });

  it('name the step that enrolls one when none is (it said "give one of: none enrolled")', () => {
    expect(() => factoryIdIn([], "build-box-7")).toThrow(
      expect.objectContaining({
        code: "not_found",
        fix: "no factory is enrolled yet: `gigafactory enroll NAME`, then run the command it prints on that host",
      }),
    );
    expect(() => factoryIdIn([{ id: "fac_1", name: "box" }], "bx")).toThrow(
      expect.objectContaining({ fix: "give one of: box (fac_1)" }),
    );
  });
});

describe("gigafactory routing experiment start --a-prefer NAME", () => {
  it("sends nothing when the fleet list holds an id of another type", async () => {
    const stub = await stubCoordinator((req, reply) =>
      req.url.endsWith("/factories") ? reply.json(200, { factories: FOREIGN }) : reply.json(201, {}),
    );
    const argv = ["routing", "experiment", "start", "--class", "c", "--a-prefer", "box"];
    const r = await captureCli([...argv, ...connection(stub.url, "p")]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^✘ ERROR bad_response: .*factories/);
    expect(stub.lines).toEqual(["GET /api/v1/products/p/factories"]);
  });
});
