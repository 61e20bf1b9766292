// An engine printing a blob with no newline (1 GB of it) reaches the line splitter in 64 KiB chunks. The splitter
// joined the unterminated line so far with each chunk and searched the whole of it again for a line end: up to
// MAX_PENDING_CHARS read per chunk, ~8.5 characters searched per character printed — about 130 s of the agent's CPU
// for 1 GB, where 5 s do. Now each chunk is searched once. Counted, not timed: every string search the splitter makes
// (String and RegExp methods) is tallied by the length it is handed, and the tally stays within a few reads of what
// was pushed. Also: the lines themselves are as before (a long line cut at MAX_PENDING_CHARS, `\r\n` across chunks).
import { afterEach, describe, expect, it } from "vitest";
import { LineSplitter, MAX_PENDING_CHARS } from "../../src/agent/log-batcher.ts";

type Method = (this: unknown, ...args: unknown[]) => unknown;
const restore: Array<() => void> = [];
afterEach(() => {
  for (const undo of restore.splice(0)) undo();
});

/** Wrap `name` on `proto` so each call adds the length of the string it searches (`pick(this, args)`) to `tally`. */
function tallied(
  proto: object,
  name: string | symbol,
  pick: (self: unknown, args: unknown[]) => unknown,
  tally: { chars: number },
) {
  const target = proto as Record<string | symbol, Method>;
  const original = target[name] as Method;
  target[name] = function (this: unknown, ...args: unknown[]) {
    const s = pick(this, args);
    if (typeof s === "string") tally.chars += s.length;
    return original.apply(this, args);
  };
  restore.push(() => {
    target[name] = original;
  });
}

describe("LineSplitter, a line without end", () => {
  it("searches each chunk once, not the whole unterminated line again with every chunk", () => {
    const chunk = "a".repeat(64 * 1024);
    const pushes = Math.ceil((4 * MAX_PENDING_CHARS) / chunk.length);
    const s = new LineSplitter();
    const tally = { chars: 0 };
    const self = (t: unknown) => String(t);
    const arg0 = (_t: unknown, args: unknown[]) => args[0];
    for (const name of ["indexOf", "lastIndexOf", "includes", "search", "match", "matchAll", "split", "replace"])
      tallied(String.prototype, name, self, tally);
    for (const name of ["exec", "test", Symbol.split, Symbol.match, Symbol.search, Symbol.replace])
      tallied(RegExp.prototype, name, arg0, tally);
    const lines: string[] = [];
    for (let i = 0; i < pushes; i++) lines.push(...s.push(chunk));
    for (const undo of restore.splice(0)) undo(); // before any assertion: expect() uses these methods too
    const pushed = pushes * chunk.length;
    expect(tally.chars).toBeGreaterThan(0); // it does search
    expect(tally.chars).toBeLessThanOrEqual(3 * pushed); // a line end of each kind looked for once per chunk
    expect(lines.length).toBe(Math.floor(pushed / MAX_PENDING_CHARS));
    for (const l of lines) expect(l.length).toBe(MAX_PENDING_CHARS);
  });

  it("still takes `\\r\\n` split across chunks as one line end, and a lone `\\r` as one", () => {
    const s = new LineSplitter();
    expect([...s.push("one\r"), ...s.push("\ntwo\r"), ...s.push("three\r\r\n"), ...s.push("four"), ...s.end()]).toEqual(
      ["one", "two", "three", "", "four"],
    );
  });
});
