// The metrics tiles' line for a failed read (dashboard/metrics.js, `.tiles-stale`, a status live region) is put in
// the header empty and written once the page has drawn a frame (announce.js `afterDrawn`): made holding its words, it
// was no news to some screen readers. A failure meanwhile leaves its own words to be written, the latest.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

/** Each read's rejecter: the test fails them one by one. */
const reads: Array<(e: unknown) => void> = [];
vi.mock("../../dashboard/api.js", () => ({
  api: () => new Promise((_resolve, reject) => reads.push(reject)),
  describeError: (e: unknown) => String(e),
  transient: () => true, // a failure that may pass: the next move reads again
}));
vi.mock("../../dashboard/dom.js", () => ({
  h: (_tag: string, attrs: { dataset?: Record<string, string> }) => ({
    textContent: "",
    isConnected: false,
    dataset: { ...attrs.dataset },
  }),
  replace: () => undefined,
  clock: (at: number) => String(at),
}));

// @ts-expect-error plain browser JavaScript, typed by JSDoc only
const { mountMetricsTiles } = await import("../../dashboard/metrics.js");

let frames: Array<() => void> = [];
beforeEach(() => {
  frames = [];
  vi.stubGlobal("requestAnimationFrame", (f: () => void) => frames.push(f));
});
afterEach(() => vi.unstubAllGlobals());

describe("the metrics tiles' stale line", () => {
  it("is in the header empty before its words are written, and says the latest failure", async () => {
    type Line = { textContent: string; dataset: Record<string, string> };
    const made: { line: Line | null } = { line: null }; // a holder: a closure's write is not narrowed away
    let listener: (c: { versionChanged: boolean }) => void = () => undefined;
    const el = {
      hidden: true,
      setAttribute: () => undefined,
      removeAttribute: () => undefined,
      querySelector: () => made.line,
      append: (n: Line) => {
        made.line = n;
      },
    };
    const live = {
      session: { token: "t", product: "p" },
      subscribe: (fn: typeof listener) => {
        listener = fn;
        return () => undefined;
      },
    };
    const stop = mountMetricsTiles(el, live) as () => void;
    reads[0]?.(new Error("Down"));
    await vi.waitFor(() => expect(made.line).not.toBeNull());
    expect(made.line?.textContent).toBe(""); // in the page, empty: its words are a change, said
    listener({ versionChanged: true });
    await vi.waitFor(() => expect(reads).toHaveLength(2));
    reads[1]?.(new Error("Still down"));
    // Not drawn yet: the latest failure's words are the ones waiting to be written.
    await vi.waitFor(() => expect(made.line?.dataset.unsaid).toBe("No figures: Error: Still down"));
    expect(made.line?.textContent).toBe("");
    expect(frames).toHaveLength(1);
    for (const f of frames.splice(0)) f();
    await vi.waitFor(() => expect(made.line?.textContent).toBe("No figures: Error: Still down"));
    stop();
  });
});
