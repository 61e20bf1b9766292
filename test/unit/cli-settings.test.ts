// `gigafactory settings get|set` over a real local socket: KEY=VALUE words become a nested JSON patch (values read as
// JSON where they parse), the settings print as readable lines (one per key --json has, `routing` included) or one
// --json document, and a refused patch is one `✘ ERROR validation_failed: … / how to fix` line with exit 1 (a
// malformed word is a usage error, exit 2, and so is a number too large to be finite — `weights.load=1e400` was sent
// as null and refused "expected number, received null" — or too small to be told from 0, `1e-400` stored as 0); a
// misspelt key is told the key probably meant, top-level or nested, and a value of the wrong type what its key takes (`preemption=yes`: true or false; a number: the key's value
// now, which the server takes), not "fix the value named above". A number spelt `.5` or `+2` is sent as a number, and
// a key named like an Object.prototype member (`__proto__`, `constructor`) is sent as typed, for the server to refuse.
import { describe, expect, it } from "vitest";
import { parseAssignments } from "../../src/cli/commands/settings.ts";
import { applySettingsPatch, DEFAULT_SETTINGS, SettingsPatchSchema, withDefaults } from "../../src/core/settings.ts";
import { captureCli, connection, stubCoordinator } from "../support/cli-harness.ts";

/** A stand-in coordinator holding one product's settings, validating patches with the real schema. */
async function coordinator(): Promise<{ url: string; patches: unknown[] }> {
  let settings = withDefaults(undefined);
  const { url, bodies } = await stubCoordinator((req, reply) => {
    if (req.url !== "/api/v1/products/shop/settings") return reply.json(404, { code: "not_found" });
    if (req.method === "GET") return reply.json(200, settings);
    const parsed = SettingsPatchSchema.safeParse(req.body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      // As the Worker words it (worker/validation): the path under `body`, none for a top-level unknown key.
      const detail = `${["body", ...issue.path].join(".")}: ${issue.message}`;
      return reply.problem(400, { title: "Request failed validation", detail, code: "validation_failed" });
    }
    settings = applySettingsPatch(settings, parsed.data);
    return reply.json(200, settings);
  });
  return { url, patches: bodies };
}

const cli = (url: string, ...argv: string[]) => captureCli([...argv, ...connection(url, "shop")]);

describe("parseAssignments", () => {
  it("builds a nested patch, reading values as JSON where they parse", () => {
    expect(
      parseAssignments(["preemption=true", "weights.load=2", "retry.baseSeconds=10", "retry.jitter=0.2", "x=abc"]),
    ).toEqual({ preemption: true, weights: { load: 2 }, retry: { baseSeconds: 10, jitter: 0.2 }, x: "abc" });
  });

  it("reads a number written as people write one (.5, 5., +2, 007) as that number, not as text", () => {
    expect(
      parseAssignments(["retry.jitter=.5", "retry.baseSeconds=5.", "weights.load=+2", "leaseTtlSeconds=007"]),
    ).toEqual({ retry: { jitter: 0.5, baseSeconds: 5 }, weights: { load: 2 }, leaseTtlSeconds: 7 });
    expect(parseAssignments(["overflow=hold", "x=1.2.3", "y=.", "z=e5"])).toEqual({
      overflow: "hold",
      x: "1.2.3",
      y: ".",
      z: "e5",
    });
  });

  it("keeps a key named like an Object.prototype member as its own key, so the server judges it", () => {
    expect(JSON.stringify(parseAssignments(["constructor=1"]))).toBe('{"constructor":1}');
    expect(JSON.stringify(parseAssignments(["toString.a=1"]))).toBe('{"toString":{"a":1}}');
    expect(JSON.stringify(parseAssignments(["__proto__.x=1"]))).toBe('{"__proto__":{"x":1}}');
    expect(JSON.stringify(parseAssignments(["weights.__proto__=1"]))).toBe('{"weights":{"__proto__":1}}');
  });

  it.each([
    ["preemption"],
    ["=1"],
    ["a.b.c=1"],
    ["weights..load=1"],
    ["leaseTtlSeconds=1", "leaseTtlSeconds=2"],
  ])("refuses %s as a usage error", (...words) => {
    expect(() => parseAssignments(words)).toThrow(expect.objectContaining({ code: "usage", exitCode: 2 }));
  });
});

describe("gigafactory settings", () => {
  it("get prints every setting readably, or the record under --json", async () => {
    const { url } = await coordinator();
    const text = await cli(url, "settings", "get");
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^preemption\s+off$/m);
    expect(text.stdout).toMatch(/^leaseTtlSeconds\s+60 s/m);
    expect(text.stdout).toMatch(/^retry\s+base 5 s · max 600 s · jitter 0\.5$/m);
    expect(text.stdout).toMatch(/^weights\s+capabilityFit 1 · affinity 0\.5 · load 1/m);
    expect(text.stdout).toMatch(/^routing\s+track term optimises success_per_usd · a record counts from \d+ runs$/m);
    // Every key --json has gets a line: `routing` was dropped (R2 L11).
    for (const key of Object.keys(DEFAULT_SETTINGS)) expect(text.stdout).toMatch(new RegExp(`^${key}\\s`, "m"));
    const json = await cli(url, "settings", "--json");
    expect(JSON.parse(json.stdout)).toEqual(DEFAULT_SETTINGS);
  });

  it("set sends one patch and names what changed", async () => {
    const { url, patches } = await coordinator();
    const r = await cli(url, "settings", "set", "preemption=true", "weights.load=2", "leaseTtlSeconds=120");
    expect(r.code).toBe(0);
    expect(patches).toEqual([{ preemption: true, weights: { load: 2 }, leaseTtlSeconds: 120 }]);
    expect(r.stdout).toContain("✔ Settings saved: leaseTtlSeconds, preemption, weights.load changed");
    expect(r.stdout).toMatch(/^preemption\s+on/m);
  });

  it("refuses a number too large to be finite as a usage error and sends nothing", async () => {
    const { url, patches } = await coordinator();
    for (const word of ["weights.load=1e400", "leaseTtlSeconds=-1e999", 'weights={"load":1e400}']) {
      const r = await cli(url, "settings", "set", word);
      expect({ word, code: r.code }).toEqual({ word, code: 2 });
      expect(r.stderr).toMatch(
        /^✘ ERROR usage: .+ a number too large to be finite .+ \/ see `gigafactory settings set --help`\n$/,
      );
    }
    expect(patches).toEqual([]);
  });

  it("refuses a number too small to be told from 0 (1e-400 read as 0 was stored as 0); 0 itself is sent", async () => {
    const { url, patches } = await coordinator();
    for (const word of ["weights.load=1e-400", "retry.jitter=.1e-999", "weights.load=-2E-400"]) {
      const r = await cli(url, "settings", "set", word);
      expect({ word, code: r.code }).toEqual({ word, code: 2 });
      expect(r.stderr).toMatch(/^✘ ERROR usage: .+ is too small to be told from 0 .+: write 0 \//);
    }
    expect(patches).toEqual([]);
    expect((await cli(url, "settings", "set", "weights.load=0e5")).code).toBe(0);
    expect(patches).toEqual([{ weights: { load: 0 } }]);
  });

  it("reports a refused value as one ✘ ERROR line with how to fix it, exit 1", async () => {
    const { url } = await coordinator();
    const r = await cli(url, "settings", "set", "leaseTtlSeconds=1");
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    // The bound and a value the key takes (its value now), not "fix the value named above" (pass 51).
    expect(r.stderr).toMatch(
      /^✘ ERROR validation_failed: body\.leaseTtlSeconds: .+ \/ `leaseTtlSeconds` takes a number of at least \d+: write e\.g\. `leaseTtlSeconds=60` \(its value now\)$/m,
    );
  });

  it.each([
    [
      "preemptoin=true",
      'body: Unrecognized key: "preemptoin"',
      "did you mean `preemption`? (`gigafactory settings get` shows every setting)",
    ],
    [
      "weights.lod=2",
      'body.weights: Unrecognized key: "lod"',
      "did you mean `weights.load`? (`gigafactory settings get` shows every setting)",
    ],
    [
      "preemption=yes",
      "body.preemption: Invalid input: expected boolean, received string",
      "`preemption` takes true or false: write `preemption=true`",
    ],
    [
      "weights.load=high",
      "body.weights.load: Invalid input: expected number, received string",
      "`weights.load` takes a number: write `weights.load=1`",
    ],
    // The example is the key's value now, which the server takes: a fixed 2 is above jitter's 1, below the TTL's 5.
    [
      "retry.jitter=half",
      "body.retry.jitter: Invalid input: expected number, received string",
      "`retry.jitter` takes a number: write `retry.jitter=0.5`",
    ],
    [
      "leaseTtlSeconds=long",
      "body.leaseTtlSeconds: Invalid input: expected number, received string",
      "`leaseTtlSeconds` takes a number: write `leaseTtlSeconds=60`",
    ],
    [
      "__proto__.x=1",
      'body: Unrecognized key: "__proto__"',
      "`__proto__` is not a setting: `gigafactory settings get` shows every setting",
    ],
    [
      "zzz=2",
      'body: Unrecognized key: "zzz"',
      "`zzz` is not a setting: `gigafactory settings get` shows every setting",
    ],
    // Rows `settings get` shows, set by commands of their own: naming `settings get` again was a circle.
    [
      "frozenSerialKeys=x",
      'body: Unrecognized key: "frozenSerialKeys"',
      "`frozenSerialKeys` is set by its own command, not `settings set`: `gigafactory serial freeze KEY --reason TEXT`, undone by `gigafactory serial unfreeze KEY`",
    ],
    [
      "budgetPaused=true",
      'body: Unrecognized key: "budgetPaused"',
      "`budgetPaused` is set by its own command, not `settings set`: `gigafactory budget pause`, undone by `gigafactory budget resume`",
    ],
    // A choice names its choices and the value now; a group (breaker, retry…) its keys: "fix the value named above"
    // said nothing a newcomer could act on.
    [
      "overflow=hodl",
      'body.overflow: Invalid option: expected one of "route"|"hold"',
      "`overflow` takes route or hold: write `overflow=route`",
    ],
    [
      "routing.objective=cheap",
      'body.routing.objective: Invalid option: expected one of "success_per_usd"|"success_per_minute"',
      "`routing.objective` takes success_per_usd or success_per_minute: write `routing.objective=success_per_usd`",
    ],
    [
      "breaker=5",
      "body.breaker: Invalid input: expected object, received number",
      "`breaker` is a group of settings: set one of its keys — breaker.failureThreshold, breaker.coolDownSeconds, breaker.maxCoolDownSeconds — e.g. `breaker.failureThreshold=5`",
    ],
  ])("names the setting probably meant for an unknown key, or what a key takes (%s)", async (word, detail, fix) => {
    const { url } = await coordinator();
    const r = await cli(url, "settings", "set", word);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(`✘ ERROR validation_failed: ${detail} / ${fix}`);
  });
});
