/**
 * @module core/proto-key
 * Finds an own `__proto__` key in parsed JSON. `JSON.parse` makes `{"__proto__": 3}` an own property, and zod 4
 * drops such a key from records and objects without an issue: a body or frame holding one was answered "nothing
 * changed" instead of refused. Every boundary that parses JSON asks this before zod, so no schema has to.
 * `constructor` and `prototype` are left alone: in parsed JSON they are ordinary own data keys (no setter runs on
 * them), zod keeps them, and a schema that should refuse them refuses them like any other unknown key.
 * Pure.
 */

const PROTO = "__proto__";

/**
 * The path of the first own `__proto__` key in `value` (parsed from the JSON `text`), as `a.b[2].__proto__`, or
 * `undefined` when there is none. A text that spells neither `__proto__` nor any `\u` escape (the only other way to
 * write the key) skips the walk; otherwise one iterative walk visits each node once (no recursion, so depth costs
 * no stack).
 * @param text the JSON text `value` came from
 * @param value the result of `JSON.parse(text)`
 */
export function protoKeyPath(text: string, value: unknown): string | undefined {
  if (!text.includes(PROTO) && !text.includes("\\u")) return undefined;
  const stack: Array<[unknown, string]> = [[value, ""]];
  while (stack.length > 0) {
    const [node, path] = stack.pop() as [unknown, string];
    if (node === null || typeof node !== "object") continue;
    if (Array.isArray(node)) {
      for (let i = node.length - 1; i >= 0; i--) stack.push([node[i], `${path}[${i}]`]);
      continue;
    }
    if (Object.hasOwn(node, PROTO)) return path === "" ? PROTO : `${path}.${PROTO}`;
    const keys = Object.keys(node);
    for (let i = keys.length - 1; i >= 0; i--) {
      const key = keys[i] as string;
      stack.push([(node as Record<string, unknown>)[key], path === "" ? key : `${path}.${key}`]);
    }
  }
  return undefined;
}
