// A wait that never succeeds fails AT the wait: `until` throws at its deadline naming what it waited for (a label,
// or the condition's own source) and the last value it saw, cut to a bounded length — where it used to return that
// value, so a test went on with stale data and failed later, or passed with nothing asserted after a bare wait.
// Only `lastAfter`, the explicit opt-out, hands back the value at the deadline.
import { describe, expect, it } from "vitest";
import { lastAfter, shown, until } from "../integration/polling.ts";

/** A read that counts its calls: the value each read sees. */
function counter() {
  let n = 0;
  return async () => ++n;
}

describe("until", () => {
  it("returns the first value that satisfies the condition", async () => {
    expect(await until(counter(), (n) => n === 3)).toBe(3);
  });

  it("throws at its deadline, naming the label and the last value seen", async () => {
    const read = async () => ({ stage: "queued" });
    await expect(until(read, (j) => j.stage === "shipped", { ms: 100, what: "job j1 shipped" })).rejects.toThrow(
      'timed out after 100 ms waiting for job j1 shipped; last value: {"stage":"queued"}',
    );
  });

  it("names the condition's own source when given no label, and takes a bare number as the deadline", async () => {
    const read = async () => [1, 2];
    await expect(until(read, (xs) => xs.length === 3, 100)).rejects.toThrow(
      "timed out after 100 ms waiting for (xs) => xs.length === 3; last value: [1,2]",
    );
  });

  it("bounds the last value it shows", async () => {
    const big = "x".repeat(50_000);
    const failure = await until(
      async () => big,
      () => false,
      50,
    ).catch((err: Error) => err);
    expect(failure).toBeInstanceOf(Error);
    expect((failure as Error).message.length).toBeLessThan(1_300);
    expect((failure as Error).message).toMatch(/… \(\d+ more chars\)$/);
  });

  it("fails at once when the read itself throws", async () => {
    const read = async (): Promise<number> => {
      throw new Error("read broke");
    };
    await expect(until(read, () => true)).rejects.toThrow("read broke");
  });
});

describe("lastAfter (the explicit opt-out)", () => {
  it("returns the last value at its deadline instead of throwing", async () => {
    const read = async () => ({ closed: false });
    expect(await lastAfter(read, (s) => s.closed, 100)).toEqual({ closed: false });
  });

  it("returns as soon as the stop condition holds", async () => {
    expect(await lastAfter(counter(), (n) => n === 2, 10_000)).toBe(2);
  });
});

describe("shown", () => {
  it("says what JSON cannot: undefined, a cycle, a BigInt", () => {
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    expect([shown(undefined), shown(cycle), shown(10n)]).toEqual(["undefined", "[object Object]", "10"]);
  });
});
