// `gigafactory enrollment-codes` lists the live codes by id (never a code) and `enrollment-codes revoke ID` revokes one: it says whether anything changed, and an unknown id fails with a fix that names the list command.
import { describe, expect, it } from "vitest";
import { captureCli, connection, stubCoordinator } from "../support/cli-harness.ts";

const NOW = 1_700_000_060_000;
const live = { id: "enr_1", createdAt: NOW - 60_000, expiresAt: NOW + 3_600_000, mintedBy: "admin", name: "box-a" };

async function coordinator() {
  return stubCoordinator((req, reply) => {
    if (req.method === "GET") return reply.json(200, { codes: [live] });
    if (req.url.endsWith("/enr_1")) return reply.json(200, { id: "enr_1", changed: true, state: "revoked" });
    if (req.url.endsWith("/enr_used")) return reply.json(200, { id: "enr_used", changed: false, state: "used" });
    reply.problem(404, {
      type: "about:blank",
      title: "Not found",
      detail: "enrollment code not found",
      code: "not_found",
    });
  });
}

describe("enrollment-codes", () => {
  it("lists the live codes as a table, and as JSON with --json", async () => {
    const { url, lines } = await coordinator();
    const table = await captureCli(["enrollment-codes", ...connection(url, "shop")], { now: NOW });
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^ID\s+FOR HOST\s+SEATS\s+MINTED BY\s+CREATED\s+EXPIRES/m);
    expect(table.stdout).toMatch(/^enr_1\s+box-a\s+—\s+admin\s/m);
    const json = await captureCli(["enrollment-codes", "--json", ...connection(url, "shop")]);
    expect(JSON.parse(json.stdout)).toEqual({ codes: [live] });
    expect(lines).toEqual([
      "GET /api/v1/products/shop/factories/enrollment-codes",
      "GET /api/v1/products/shop/factories/enrollment-codes",
    ]);
  });

  it("revoke says it revoked, or what the code already was", async () => {
    const { url, lines } = await coordinator();
    const done = await captureCli(["enrollment-codes", "revoke", "enr_1", ...connection(url, "shop")]);
    expect(done.stdout).toContain("✔ enrollment code enr_1 is revoked");
    const noop = await captureCli(["enrollment-codes", "revoke", "enr_used", "--json", ...connection(url, "shop")]);
    expect(JSON.parse(noop.stdout)).toEqual({ id: "enr_used", changed: false, state: "used" });
    expect(lines[0]).toBe("DELETE /api/v1/products/shop/factories/enrollment-codes/enr_1");
  });

  it("an unknown id fails with ✘ ERROR not_found and the command that lists live codes", async () => {
    const { url } = await coordinator();
    const r = await captureCli(["enrollment-codes", "revoke", "enr_gone", ...connection(url, "shop")]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^✘ ERROR not_found: no enrollment code enr_gone .* \/ `gigafactory enrollment-codes` lists/m,
    );
    const json = await captureCli(["enrollment-codes", "revoke", "enr_gone", "--json", ...connection(url, "shop")]);
    expect(JSON.parse(json.stdout).error).toMatchObject({ code: "not_found", exitCode: 1 });
  });
});
