// dashboard/press-hold: a redraw asked for while a control is pressed (a pointer down, Space down on a button) runs
// once after the press is over and its click dispatched — never during it, once however often it was asked; the
// click's own handlers draw at once; Space in a text box, a right button and a select hold nothing; a press that
// never ends (cancelled, the window blurred, its release never seen) holds no redraw longer than HOLD_MAX_MS, whatever
// the order of presses, releases, clicks and time (fast-check), with Node's EventTarget for the document and window.
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
// @ts-expect-error plain browser JavaScript, typed by JSDoc only
import { HOLD_MAX_MS, pressWatch, TAP_CLICK_MS } from "../../dashboard/press-hold.js";

/** An event of `type` with the fields the watch reads (Node's Event has none of a PointerEvent's). */
function ev(type: string, fields: Record<string, unknown> = {}, target?: unknown): Event {
  const e = Object.assign(new Event(type), fields);
  if (target !== undefined) Object.defineProperty(e, "target", { value: target });
  return e;
}
const BUTTON = { closest: (sel: string) => (sel.includes("button") ? BUTTON : null) };
const TEXT_BOX = { closest: () => null };
/** A drop-down: its list takes the release, which the page never sees. */
const SELECT = { closest: (sel: string) => (sel === "select" ? SELECT : null) };
const mouse = (type: string, pointerId = 1, button = 0) => ev(type, { pointerId, pointerType: "mouse", button });

function setup() {
  const doc = new EventTarget();
  const win = new EventTarget();
  const watch = pressWatch(doc, win);
  const drawn: string[] = [];
  const redraw = (name: string) => () => drawn.push(name);
  return { doc, win, watch, drawn, redraw };
}

describe("dashboard/press-hold", () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_000_000 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("draws at once when nothing is pressed, and after the click when a mouse press was in progress", () => {
    const { doc, watch, drawn, redraw } = setup();
    const cards = redraw("cards");
    watch.afterPress(cards);
    expect(drawn).toEqual(["cards"]);
    doc.dispatchEvent(mouse("pointerdown"));
    watch.afterPress(cards);
    watch.afterPress(cards); // a second read during the same press: still one redraw
    watch.afterPress(redraw("rows"));
    vi.advanceTimersByTime(5_000);
    expect(drawn).toEqual(["cards"]);
    doc.dispatchEvent(mouse("pointerup"));
    // The click follows in the same task: its handlers draw at once, and what waited after them.
    doc.addEventListener("click", () => watch.afterPress(redraw("own")));
    doc.dispatchEvent(ev("click"));
    expect(drawn).toEqual(["cards", "own"]);
    vi.advanceTimersByTime(0);
    expect(drawn).toEqual(["cards", "own", "cards", "rows"]);
    expect(watch.pressed()).toBe(false);
  });

  it("holds through Space on a button until its keyup's click, not Space in a text box, a right button nor a select", () => {
    const { doc, watch, drawn, redraw } = setup();
    doc.dispatchEvent(ev("keydown", { key: " " }, TEXT_BOX));
    doc.dispatchEvent(mouse("pointerdown", 1, 2));
    doc.dispatchEvent(ev("pointerdown", { pointerId: 1, pointerType: "mouse", button: 0 }, SELECT));
    expect(watch.pressed()).toBe(false);
    doc.dispatchEvent(ev("keydown", { key: " " }, BUTTON));
    doc.dispatchEvent(ev("keydown", { key: " ", repeat: true }, BUTTON));
    watch.afterPress(redraw("a"));
    doc.dispatchEvent(ev("keyup", { key: "Enter" }, BUTTON));
    vi.advanceTimersByTime(1_000);
    expect(drawn).toEqual([]);
    doc.dispatchEvent(ev("keyup", { key: " " }, BUTTON));
    expect(drawn).toEqual([]); // the button's click is dispatched after keyup, in the same task
    vi.advanceTimersByTime(0);
    expect(drawn).toEqual(["a"]);
  });

  it("waits for a tap's click up to TAP_CLICK_MS, and draws at once when a press is cancelled or the window blurs", () => {
    const { doc, win, watch, drawn, redraw } = setup();
    doc.dispatchEvent(ev("pointerdown", { pointerId: 7, pointerType: "touch", button: 0 }));
    watch.afterPress(redraw("tap"));
    doc.dispatchEvent(ev("pointerup", { pointerId: 7, pointerType: "touch" }));
    vi.advanceTimersByTime(TAP_CLICK_MS - 1);
    expect(drawn).toEqual([]);
    vi.advanceTimersByTime(1); // no click came (the finger moved): drawn anyway
    expect(drawn).toEqual(["tap"]);
    doc.dispatchEvent(mouse("pointerdown"));
    watch.afterPress(redraw("cancel"));
    doc.dispatchEvent(mouse("pointercancel"));
    expect(drawn).toEqual(["tap", "cancel"]);
    doc.dispatchEvent(mouse("pointerdown"));
    watch.afterPress(redraw("blur"));
    win.dispatchEvent(ev("blur"));
    expect(drawn).toEqual(["tap", "cancel", "blur"]);
    expect(watch.pressed()).toBe(false);
  });

  it("lets redraws through once a press is held HOLD_MAX_MS (its release never seen), and holds the next press anew", () => {
    const { doc, watch, drawn, redraw } = setup();
    doc.dispatchEvent(mouse("pointerdown"));
    watch.afterPress(redraw("held"));
    vi.advanceTimersByTime(HOLD_MAX_MS - 1);
    expect(drawn).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(drawn).toEqual(["held"]);
    watch.afterPress(redraw("late")); // the pointerup never came: not a press any more
    expect(drawn).toEqual(["held", "late"]);
    doc.dispatchEvent(mouse("pointerdown")); // the same pointer down again: a new press, held again
    watch.afterPress(redraw("next"));
    expect(drawn).toEqual(["held", "late"]);
    doc.dispatchEvent(mouse("pointerup"));
    vi.advanceTimersByTime(0);
    expect(drawn).toEqual(["held", "late", "next"]);
  });

  it("never draws during a press, draws each ask once, and keeps none waiting past HOLD_MAX_MS (any order)", () => {
    const step = fc.oneof(
      fc.record({ kind: fc.constant("down" as const), id: fc.integer({ min: 1, max: 3 }), touch: fc.boolean() }),
      fc.record({ kind: fc.constant("up" as const), id: fc.integer({ min: 1, max: 3 }) }),
      fc.record({ kind: fc.constant("cancel" as const), id: fc.integer({ min: 1, max: 3 }) }),
      fc.record({ kind: fc.constantFrom("click" as const, "space" as const, "spaceUp" as const, "blur" as const) }),
      fc.record({ kind: fc.constant("ask" as const), fn: fc.integer({ min: 0, max: 2 }) }),
      fc.record({ kind: fc.constant("wait" as const), ms: fc.integer({ min: 0, max: 4_000 }) }),
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 60, size: "max" }), (steps) => {
        vi.setSystemTime(1_000_000);
        const { doc, win, watch } = setup();
        const touch = new Map<number, boolean>();
        /** When each redraw was first asked for and not drawn since (ms), else undefined. */
        const asked: Array<number | undefined> = [undefined, undefined, undefined];
        const fns = asked.map((_, i) => () => {
          expect(watch.pressed()).toBe(false); // never while a press is in progress
          expect(asked[i]).not.toBe(undefined); // once per wait: a redraw drawn was not asked again
          asked[i] = undefined;
        });
        for (const s of steps) {
          if (s.kind === "down") {
            touch.set(s.id, s.touch);
            doc.dispatchEvent(
              ev("pointerdown", { pointerId: s.id, pointerType: s.touch ? "touch" : "mouse", button: 0 }),
            );
          } else if (s.kind === "up" || s.kind === "cancel") {
            const pointerType = touch.get(s.id) ? "touch" : "mouse";
            doc.dispatchEvent(ev(s.kind === "up" ? "pointerup" : "pointercancel", { pointerId: s.id, pointerType }));
          } else if (s.kind === "click") doc.dispatchEvent(ev("click"));
          else if (s.kind === "space") doc.dispatchEvent(ev("keydown", { key: " " }, BUTTON));
          else if (s.kind === "spaceUp") doc.dispatchEvent(ev("keyup", { key: " " }, BUTTON));
          else if (s.kind === "blur") win.dispatchEvent(ev("blur"));
          else if (s.kind === "wait") vi.advanceTimersByTime(s.ms);
          else if (s.kind === "ask") {
            const idle = !watch.pressed();
            asked[s.fn] ??= Date.now();
            watch.afterPress(fns[s.fn]);
            if (idle) expect(asked[s.fn]).toBe(undefined); // nothing pressed: drawn at once
          }
          for (const at of asked) if (at !== undefined) expect(Date.now() - at).toBeLessThan(HOLD_MAX_MS);
        }
        watch.stop(); // the page left: what waits is drawn
        expect(asked).toEqual([undefined, undefined, undefined]);
      }),
      { numRuns: 300 },
    );
  });
});
