// `gigafactory factories` shows each factory's breakers in a BREAKERS column (open ones with the time left, closed
// ones with their run of failures, `-` for none) and points at `factory release` for a quarantined one and at
// `factory breaker-reset` for an open breaker;
// `gigafactory factory release ID` POSTs …/factories/ID/release and prints the factory's new status, or the
// coordinator's refusal as one `✘ ERROR code: … / how to fix` line. `settings get` shows the breaker, overflow,
// error-budget and health settings.
import { describe, expect, it } from "vitest";
import { breakerCell } from "../../src/cli/commands/factories.ts";
import { formatSettings } from "../../src/cli/commands/settings.ts";
import { withDefaults } from "../../src/core/settings.ts";
import { captureCli, connection, stubCoordinator } from "../support/cli-harness.ts";

const NOW = 1_700_000_060_000;

const factory = (over: Record<string, unknown>) => ({
  id: "fac_1",
  productId: "shop",
  name: "box-1",
  capabilities: ["engine:claude"],
  seats: 2,
  load: 0,
  health: "ok",
  status: "active",
  createdAt: NOW - 60_000,
  breakers: [],
  ...over,
});

/**
 * A stand-in coordinator: one quarantined factory with an open breaker; release works once, then answers as the
 * coordinator does (factories/admin `releaseQuarantined`): active already is `changed: false`, draining a 409.
 */
async function coordinator(start = "quarantined"): Promise<{ url: string; calls: string[] }> {
  let status = start;
  const { url, lines } = await stubCoordinator((req, reply) => {
    const breakers = [{ engine: "claude", state: "open", consecutiveFailures: 5, openUntil: NOW + 90_000 }];
    if (req.method === "GET" && req.url === "/api/v1/products/shop/factories")
      return reply.json(200, { factories: [factory({ status, breakers })] });
    if (req.method === "POST" && req.url === "/api/v1/products/shop/factories/fac_1/release") {
      if (status === "active") return reply.json(200, { ...factory({ status }), changed: false });
      if (status !== "quarantined") {
        const detail = `factory fac_1 is ${status}, not quarantined: nothing to release`;
        return reply.problem(409, {
          title: "Conflict",
          detail,
          code: "conflict",
          factoryId: "fac_1",
          factoryStatus: status,
        });
      }
      status = "active";
      return reply.json(200, { ...factory({ status }), changed: true });
    }
    return reply.json(404, { code: "not_found" });
  });
  return { url, calls: lines };
}

const cli = (url: string, ...argv: string[]) => captureCli([...argv, ...connection(url, "shop")], { now: NOW });

describe("breakerCell", () => {
  it("shows open breakers with the time left, closed ones with their failures, none as -", () => {
    expect(breakerCell([], NOW)).toBe("-");
    expect(breakerCell(undefined, NOW)).toBe("-");
    const cell = breakerCell(
      [
        { engine: "*", state: "closed", consecutiveFailures: 3 },
        { engine: "claude", state: "open", consecutiveFailures: 5, openUntil: NOW + 120_000 },
        { engine: "codex", state: "half_open", consecutiveFailures: 5 },
      ],
      NOW,
    );
    expect(cell).toMatch(/^\* closed \(3 failed\), claude open \(2m.* left\), codex half-open$/);
  });

  it("never says 0s left of a breaker still open: the time left rounds up", () => {
    const open = (ms: number) =>
      breakerCell([{ engine: "claude", state: "open", consecutiveFailures: 5, openUntil: NOW + ms }], NOW);
    expect([open(400), open(59_500), open(0)]).toEqual([
      "claude open (1s left)",
      "claude open (1m left)",
      "claude open (0s left)",
    ]);
  });
});

describe("gigafactory factories / factory release", () => {
  it("lists the BREAKERS column and hints at release for a quarantined factory", async () => {
    const { url } = await coordinator();
    const r = await cli(url, "factories");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/BREAKERS/);
    expect(r.stdout).toMatch(/quarantined .*claude open \(1m.* left\)/);
    expect(r.stdout).toContain("gigafactory factory release ID");
    // The open breaker's footer names the operator's reset of it.
    expect(r.stdout).toContain(
      "\n1 breaker open or half-open; an operator closes one whose engine is fixed with " +
        "`gigafactory factory breaker-reset ID ENGINE` ('*': the default engine):\n  box-1 (fac_1): claude\n",
    );
  });

  it("release POSTs …/release and prints the new status; a second one says it is active already", async () => {
    const { url, calls } = await coordinator();
    const ok = await cli(url, "factory", "release", "fac_1");
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain("✔ factory box-1 (fac_1) is released and active again");
    expect(calls).toContain("POST /api/v1/products/shop/factories/fac_1/release");
    // A no-op, said as `factory approve` and `budget pause` say theirs: no ✔, exit 0, nothing to fix.
    const again = await cli(url, "factory", "release", "fac_1");
    expect(again).toMatchObject({ code: 0, stderr: "" });
    expect(again.stdout).toBe("already active: nothing to release — factory box-1 (fac_1)\n");
  });

  it("a release of a draining factory is refused with the command that does bring it back", async () => {
    const { url } = await coordinator("draining");
    const r = await cli(url, "factory", "release", "fac_1");
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^✘ ERROR conflict: factory fac_1 is draining, not quarantined.* \/ .*`gigafactory factory activate fac_1`/,
    );
  });
});

describe("settings output", () => {
  it("shows overflow, breaker, errorBudget and health", () => {
    const text = formatSettings(withDefaults(undefined));
    expect(text).toMatch(/^overflow\s+route /m);
    expect(text).toMatch(/^breaker\s+open after 5 failures · cool-down 60 s, doubling up to 3600 s$/m);
    expect(text).toMatch(/^errorBudget\s+quarantine after more than 10 failures in 60 min$/m);
    expect(text).toMatch(/^health\s+stuck after 30 min · starving after 60 min · expected finish every 30 min$/m);
  });
});
