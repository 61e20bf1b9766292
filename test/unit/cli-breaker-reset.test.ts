// `gigafactory factory breaker-reset ID ENGINE` POSTs …/factories/ID/breakers/ENGINE/reset — the factory named by
// its id or its name, `*` (quoted) for the default engine — and says the breaker is closed, or "already closed …
// nothing to reset" with no ✔ for a `changed: false`; `--json` emits the answer; a refusal (an unknown factory) is
// one `✘ ERROR code: … / fix` line and exit 1 — an engine the factory never declared `unknown_engine`, its fix naming
// the factory's engines — and a missing ENGINE, or one the API's engine rule refuses (`'a b'`, `кодекс`, 33
// characters), a usage error: exit 2, nothing sent, the fix the BREAKERS column its names are copied from.
import { describe, expect, it } from "vitest";
import { captureCli, connection, stubCoordinator } from "../support/cli-harness.ts";

const NOW = 1_700_000_060_000;
const FACTORY = { id: "fac_1", productId: "shop", name: "box-1", capabilities: [], seats: 1, status: "active" };

/** A stand-in coordinator: `fac_1` (box-1) with an open claude breaker that a first reset closes. */
async function coordinator(): Promise<{ url: string; calls: string[] }> {
  let open = true;
  const { url, lines } = await stubCoordinator((req, reply) => {
    if (req.method === "GET" && req.url === "/api/v1/products/shop/factories")
      return reply.json(200, { factories: [{ ...FACTORY, createdAt: NOW, load: 0, health: "ok", breakers: [] }] });
    const m = /^\/api\/v1\/products\/shop\/factories\/([^/]+)\/breakers\/([^/]+)\/reset$/.exec(req.url);
    if (req.method !== "POST" || !m) return reply.json(404, { code: "not_found" });
    if (m[1] !== "fac_1") {
      const detail = `no factory ${m[1]}`;
      return reply.problem(404, { title: "Not Found", detail, code: "not_found" });
    }
    const engine = decodeURIComponent(m[2]!);
    if (!/^(\*|[a-z0-9][a-z0-9._-]{0,31})$/.test(engine)) {
      const detail = "engine: must be an engine name like claude, or * for the default";
      return reply.problem(400, { title: "Bad Request", detail, code: "validation" });
    }
    if (engine === "claud") {
      const detail = 'factory fac_1 declares no engine "claud" and has no breaker for it: its engines are *, claude';
      return reply.problem(404, { title: "Unknown engine", detail, code: "unknown_engine", engines: ["*", "claude"] });
    }
    const changed = engine === "claude" && open;
    if (changed) open = false;
    return reply.json(200, { factoryId: "fac_1", engine, state: "closed", consecutiveFailures: 0, changed });
  });
  return { url, calls: lines };
}

const cli = (url: string, ...argv: string[]) => captureCli([...argv, ...connection(url, "shop")], { now: NOW });

describe("gigafactory factory breaker-reset", () => {
  it("POSTs the reset by the factory's name and says it is closed; a second one is already so (no ✔)", async () => {
    const { url, calls } = await coordinator();
    const ok = await cli(url, "factory", "breaker-reset", "box-1", "claude");
    expect(ok).toMatchObject({ code: 0, stderr: "" });
    expect(ok.stdout).toBe(
      "✔ engine claude's breaker on factory box-1 (fac_1) is closed: jobs of that engine may run there again\n",
    );
    expect(calls).toContain("POST /api/v1/products/shop/factories/fac_1/breakers/claude/reset");
    const again = await cli(url, "factory", "breaker-reset", "fac_1", "claude");
    expect(again).toMatchObject({ code: 0, stderr: "" });
    expect(again.stdout).toBe(
      "already closed with no failures: nothing to reset — engine claude's breaker on factory fac_1\n",
    );
  });

  it("`*` is the default engine's breaker; --json emits the answer", async () => {
    const { url, calls } = await coordinator();
    const r = await cli(url, "factory", "breaker-reset", "fac_1", "*", "--json");
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      factoryId: "fac_1",
      engine: "*",
      state: "closed",
      consecutiveFailures: 0,
      changed: false,
    });
    expect(calls).toContain("POST /api/v1/products/shop/factories/fac_1/breakers/*/reset");
  });

  it("an engine name the API's rule refuses is a usage error (exit 2), nothing sent; so is a missing ENGINE", async () => {
    const { url, calls } = await coordinator();
    for (const engine of ["a b", "кодекс", "c".repeat(33), "Claude", "claude/reset"]) {
      const bad = await cli(url, "factory", "breaker-reset", "fac_1", engine);
      expect(bad, engine).toMatchObject({ code: 2, stdout: "" });
      expect(bad.stderr, engine).toBe(
        `✘ ERROR usage: engine ${JSON.stringify(engine)}: must be an engine name like claude, or * for the default / ` +
          "copy it from the BREAKERS column of `gigafactory factories` (lowercase letters, digits, '.', '_' and '-', " +
          "at most 32, starting with a letter or digit), or quote '*' for the default engine\n",
      );
    }
    const usage = await cli(url, "factory", "breaker-reset", "fac_1");
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/^✘ ERROR usage: /);
    expect(calls).toEqual([]);
  });

  it("an engine the factory never declared is ✘ ERROR unknown_engine, its fix the factory's engines; exit 1", async () => {
    const { url } = await coordinator();
    const r = await cli(url, "factory", "breaker-reset", "fac_1", "claud");
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(
      '✘ ERROR unknown_engine: factory fac_1 declares no engine "claud" and has no breaker for it: its engines are ' +
        "*, claude / one of *, claude (gigafactory factory breaker-reset fac_1 ENGINE; quote '*')\n",
    );
  });
});
