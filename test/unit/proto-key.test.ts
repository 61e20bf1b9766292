// Proves an own `__proto__` key in parsed JSON is found at any depth (core/proto-key) and that the factory link's
// frame parser refuses a frame holding one, where zod alone dropped it silently.
import { describe, expect, it } from "vitest";
import { protoKeyPath } from "../../src/core/proto-key.ts";
import { parseFactoryFrame } from "../../src/shared/protocol-factory-frames.ts";

const at = (text: string) => protoKeyPath(text, JSON.parse(text));

describe("protoKeyPath", () => {
  it("finds the key at the top, in a record, under an array, and spelled with escapes", () => {
    expect(at('{"__proto__": 3}')).toBe("__proto__");
    expect(at('{"weights": {"a": 1, "__proto__": 3}}')).toBe("weights.__proto__");
    expect(at('{"rules": [{"x": 1}, {"labels": {"__proto__": {}}}]}')).toBe("rules[1].labels.__proto__");
    expect(at('{"env": {"\\u005f_proto__": "x"}}')).toBe("env.__proto__");
  });

  it("leaves bodies without it, and constructor/prototype keys, alone", () => {
    expect(at('{"weights": {"a": 1}, "list": [1, [2, {"b": null}]]}')).toBeUndefined();
    expect(at('{"constructor": 1, "prototype": {"x": 2}}')).toBeUndefined();
    expect(at('"__proto__"')).toBeUndefined();
    expect(at('{"a": "__proto__"}')).toBeUndefined();
  });

  it("walks a deep body without recursion", () => {
    const deep = `${'{"a":'.repeat(5000)}{"__proto__":1}${"}".repeat(5000)}`;
    expect(at(deep)?.endsWith(".a.__proto__")).toBe(true);
  });
});

describe("parseFactoryFrame", () => {
  it("refuses a frame holding an own __proto__ key, naming the path", () => {
    const parsed = parseFactoryFrame('{"type": "drain", "id": "r1", "__proto__": {"x": 1}}');
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) {
      expect(parsed.code).toBe("validation_failed");
      expect(parsed.message).toContain("__proto__");
      expect(parsed.id).toBe("r1");
    }
  });
});
