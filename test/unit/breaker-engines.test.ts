// The engines a breaker reset may name on a factory (core/breaker-engines): `*` first, then each engine it declared —
// in its hello's `engines` or as an `engine:<name>` capability in force, declared, pending or approved — sorted and
// once; a bare `engine:` names none. The refusal of any other is 404 `unknown_engine`, its message and details
// naming the factory's engines.
import { describe, expect, it } from "vitest";
import { declaredEngines, unknownEngine } from "../../src/core/breaker-engines.ts";

describe("declaredEngines", () => {
  it("is * alone for a factory that declared none", () => {
    expect(declaredEngines({})).toEqual(["*"]);
    expect(declaredEngines({ capabilities: ["has:git", "engine:"], engines: [] })).toEqual(["*"]);
  });

  it("joins the hello's engines and every list's engine: capabilities, * first, sorted, once", () => {
    const f = {
      engines: ["codex", "claude"],
      capabilities: ["engine:claude", "has:git"],
      declaredCapabilities: ["engine:gemini"],
      pendingCapabilities: ["engine:aider"],
      approvedCapabilities: ["engine:claude", "engine:*"],
    };
    expect(declaredEngines(f)).toEqual(["*", "aider", "claude", "codex", "gemini"]);
  });
});

describe("unknownEngine", () => {
  it("is a 404 unknown_engine naming the engine asked and the factory's", () => {
    const err = unknownEngine("fac_1", "claud", ["*", "claude"]);
    expect([err.code, err.status]).toEqual(["unknown_engine", 404]);
    expect(err.message).toBe(
      'factory fac_1 declares no engine "claud" and has no breaker for it: its engines are *, claude',
    );
    expect(err.details).toEqual({ factoryId: "fac_1", engine: "claud", engines: ["*", "claude"] });
  });
});
