/**
 * @module dashboard/press-hold
 * Whether a person is pressing a control right now, and the redraws held until the press is over: a click is a press
 * and a release, and when a redraw (a poller's read, a page's timer) replaced the pressed button between the two, the
 * browser sent the click to the nearest ancestor the old and the new button share (UI Events), not to either — the
 * button's handler never ran and the press was lost without a word. A person's press lasts ~100 ms; on a fleet page
 * redrawn every few seconds a few in a hundred clicks on Release, Approve or a seat limit's Save were lost so (CI:
 * dashboard-reread-busy's Release never sent). The same for Space on a button (it clicks on keyup) and for a link.
 *
 * A press: a primary pointer down until it is up or cancelled, or Space down on a button until it is up; then until
 * its click is dispatched (it follows the release in the same task for a mouse or a key; a touch's tap may come a
 * little later). The window's blur or the tab hidden ends it: no release will come. Installed once by app.js on the
 * document (`watchPresses`); pages hold a redraw not caused by the person with `afterPress` or `pressOver`.
 */

/**
 * 10 s: a press held longer lets redraws through. A press of a control is a tenth of a second; one held this long is
 * not one (a text selection, a drag), or its end was never seen — and a page whose lists stop moving for longer looks
 * broken, which is worse than the press it might lose.
 */
export const HOLD_MAX_MS = 10_000;

/** 1 s: how long after a touch or pen is lifted its tap's click may still come (a mouse's comes in the same task). */
export const TAP_CLICK_MS = 1_000;

/** What Space clicks on keyup (a text box takes Space as a character, and nothing is lost by a redraw). */
const SPACE_CLICKS =
  'button, [role="button"], summary, input[type="button"], input[type="submit"], input[type="reset"], input[type="checkbox"], input[type="radio"]';

/**
 * @typedef {object} PressWatch
 * @property {() => boolean} pressed a press is in progress (and began less than HOLD_MAX_MS ago)
 * @property {(fn: () => void) => void} afterPress runs `fn` now when nothing is pressed, else once after the press is
 *   over and its click dispatched — asked again meanwhile, still once (a redraw draws what is current when it runs)
 * @property {() => void} stop removes the listeners and runs what waits
 */

/**
 * Watches presses on `doc` (capture listeners: they run before any page's own) and the window's blur on `win`.
 * @param {EventTarget} doc the document (a plain EventTarget in Node tests)
 * @param {EventTarget} win the window
 * @returns {PressWatch}
 */
export function pressWatch(doc, win) {
  /** @type {Set<number>} pointer ids down */
  const pointers = new Set();
  let space = false;
  /** A touch or pen lifted, its tap's click not dispatched yet. */
  let releasing = false;
  /** When the press began, epoch ms. */
  let since = 0;
  /** @type {Set<() => void>} in the order first asked */
  const waiting = new Set();
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;

  const held = () => pointers.size > 0 || space || releasing;
  const pressed = () => held() && Date.now() - since < HOLD_MAX_MS;
  const flush = () => {
    clearTimeout(timer);
    timer = undefined;
    if (pressed()) {
      flushIn(since + HOLD_MAX_MS - Date.now()); // a new press began meanwhile: its end flushes, or its bound
      return;
    }
    const due = [...waiting];
    waiting.clear();
    for (const fn of due) {
      try {
        fn();
      } catch (err) {
        queueMicrotask(() => {
          throw err; // one redraw's fault must not keep the others back; still reported as the page's error
        });
      }
    }
  };
  /** At `ms`: a release's click has come by then (or never will), and whatever waits is drawn unless pressed anew. */
  const flushIn = (/** @type {number} */ ms) => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      releasing = false;
      flush();
    }, ms);
  };
  const begin = () => {
    if (!pressed()) {
      // Nothing pressed, or a press past its bound (its end never seen): this one starts afresh.
      pointers.clear();
      space = false;
      releasing = false;
      // Redraws still waiting for the press before (their flush not run yet) keep its start: the bound is on how long a
      // redraw waits, however many presses follow one another.
      if (waiting.size === 0) since = Date.now();
      flushIn(since + HOLD_MAX_MS - Date.now()); // the bound: whatever waits is drawn then, end seen or not
    }
  };
  /**
   * The last pointer or key is up. A mouse's or a key's click is dispatched in this same task, before a 0 ms timer:
   * the press is over (the click's own handlers draw at once) and what waited is drawn at that timer — not "pressed"
   * until it runs, which a page's stopped clock (a test's) would have made last. A tap's click may come after `wait`.
   */
  const released = (/** @type {number} */ wait) => {
    if (pointers.size > 0 || space) return;
    releasing = wait > 0;
    flushIn(Math.min(wait, since + HOLD_MAX_MS - Date.now())); // a tap's wait for its click does not pass the bound
  };
  /**
   * No click will come (cancelled, a drag, the window left): whatever waits is drawn now — not at a timer, which a
   * next press beginning first would make wait for that press too, past the first one's bound.
   */
  const cancel = () => {
    pointers.clear();
    space = false;
    releasing = false;
    flush();
  };

  /** @param {any} e */
  const onPointerDown = (e) => {
    if (e.button !== 0) return; // a right or middle button opens a menu or scrolls: no click comes to a control
    if (e.target?.closest?.("select")) return; // its list opens on press and takes the release: the page never sees it
    begin();
    pointers.add(e.pointerId);
  };
  /** @param {any} e */
  const onPointerUp = (e) => {
    if (!pointers.delete(e.pointerId)) return;
    released(e.pointerType === "mouse" ? 0 : TAP_CLICK_MS);
  };
  /** @param {any} e */
  const onPointerCancel = (e) => {
    if (pointers.delete(e.pointerId) && pointers.size === 0 && !space) cancel();
  };
  /** @param {any} e */
  const onKeyDown = (e) => {
    if (e.key !== " " || space || !e.target?.closest?.(SPACE_CLICKS)) return;
    begin();
    space = true;
  };
  /** @param {any} e */
  const onKeyUp = (e) => {
    if (e.key !== " " || !space) return;
    space = false;
    released(0);
  };
  // A tap's click being dispatched: the page's own handlers, running now, draw at once (a filter's list, then focus
  // on it); what waited is drawn after them.
  const onClick = () => {
    if (!releasing) return;
    releasing = false;
    flushIn(0);
  };
  const onHidden = () => {
    if (/** @type {any} */ (doc).visibilityState === "hidden") cancel();
  };
  /** @type {Array<[string, (e: any) => void]>} */
  const listeners = [
    ["pointerdown", onPointerDown],
    ["pointerup", onPointerUp],
    ["pointercancel", onPointerCancel],
    ["dragstart", cancel], // the press became a drag: no click follows
    ["contextmenu", cancel], // a menu opened by the press (Ctrl-click on macOS) takes its release: no click follows
    ["keydown", onKeyDown],
    ["keyup", onKeyUp],
    ["click", onClick],
    ["visibilitychange", onHidden],
  ];
  for (const [type, fn] of listeners) doc.addEventListener(type, fn, { capture: true, passive: true });
  win.addEventListener("blur", cancel);

  return {
    pressed,
    afterPress(fn) {
      if (pressed()) {
        waiting.add(fn);
        return;
      }
      waiting.delete(fn); // drawn now: a wait of the same redraw would draw the same again
      fn();
    },
    stop() {
      for (const [type, fn] of listeners) doc.removeEventListener(type, fn, { capture: true });
      win.removeEventListener("blur", cancel);
      cancel();
    },
  };
}

/** @type {PressWatch | undefined} the page's (app.js) */
let shared;

/**
 * Watches the page's presses for `afterPress` and `pressOver` (app.js, once).
 * @param {EventTarget} doc @param {EventTarget} win @returns {PressWatch}
 */
export function watchPresses(doc, win) {
  shared?.stop();
  shared = pressWatch(doc, win);
  return shared;
}

/**
 * Runs `fn` (a redraw not caused by the person: a poller's read, a timer) now, or once after the press in progress.
 * With no watch installed (a page module in a Node test) it runs now.
 * @param {() => void} fn draws what is current when it runs
 */
export function afterPress(fn) {
  if (shared) shared.afterPress(fn);
  else fn();
}

/**
 * Settles at once when nothing is pressed, else once the press is over and its click dispatched: awaited by a read
 * before it draws its answer (and before it asks whether it is still the newest: an action answering meanwhile
 * overtakes it, newest-read.js).
 * @returns {Promise<void>}
 */
export const pressOver = () => new Promise((resolve) => afterPress(() => resolve()));
