// Pass 45's review of fixA (dashboard/press-hold) and fixC (cli/request-interrupt), red on the merged branch: a
// context menu opened by a primary press (macOS Ctrl-click) ends the press, as no release or click follows it — no
// redraw waits HOLD_MAX_MS for it; and under --json the one document an interrupted job action prints keeps its own
// `error` (code `interrupted`) whatever keys the coordinator's answer carries.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
// @ts-expect-error plain browser JavaScript, typed by JSDoc only
import { HOLD_MAX_MS, pressWatch } from "../../dashboard/press-hold.js";
import { connection } from "../support/cli-harness.ts";
import { interruptedPost } from "../support/cli-interrupt.ts";

/** An event of `type` with the fields the watch reads (Node's Event has none of a PointerEvent's). */
function ev(type: string, fields: Record<string, unknown> = {}): Event {
  return Object.assign(new Event(type), fields);
}

describe("pass 45 review: dashboard/press-hold", () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_000_000 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("a context menu opened by a primary press (macOS Ctrl-click) ends the press: no release or click follows", () => {
    const doc = new EventTarget();
    const watch = pressWatch(doc, new EventTarget());
    const drawn: string[] = [];
    doc.dispatchEvent(ev("pointerdown", { pointerId: 1, pointerType: "mouse", button: 0, ctrlKey: true }));
    watch.afterPress(() => drawn.push("poll"));
    doc.dispatchEvent(ev("contextmenu", { button: 0, ctrlKey: true }));
    vi.advanceTimersByTime(0);
    expect(drawn).toEqual(["poll"]); // not HOLD_MAX_MS later
    expect(watch.pressed()).toBe(false);
    vi.advanceTimersByTime(HOLD_MAX_MS);
    watch.stop();
  });
});

describe("pass 45 review: Ctrl-C while one request is out, --json", () => {
  it("the document's `error` is the interrupted one even when the answer carries a key of that name", async () => {
    const { run, reply } = await interruptedPost((url) => ["requeue", "job_1", "--json", ...connection(url, "shop")]);
    // A job document with an `error` of its own (a newer coordinator's field, a proxy's): it still passes
    // JobActedRead, which checks only id and stage.
    reply.json(200, { id: "job_1", stage: "queued", error: { code: "none" } });
    expect(await run.code).toBe(130);
    const doc = JSON.parse(run.stdout());
    expect(doc.error).toMatchObject({ code: "interrupted", exitCode: 130 });
  });
});
