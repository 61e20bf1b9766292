/**
 * @module dashboard/announce
 * One polite live region for the whole page, for news that has no status line of its own to be said in: a screen
 * reader reads what is written here once, after what it is reading (WCAG 4.1.3). Drawn for no eye (.sr-only).
 */

/** @type {HTMLElement | null} */
let region = null;
/** The text to write once the region just made is in the accessibility tree; null when none waits. */
/** @type {string | null} */
let waiting = null;

/**
 * Runs `write` once the page has drawn a frame after this task: a live region inserted holding its text is no change
 * some screen readers announce (NVDA, VoiceOver read a region's changes, not its birth) — inserted empty, it is in the
 * accessibility tree by then, and the text written into it is news. The frame's callback runs before that frame's
 * drawing; the task it posts, after it. A hidden tab draws no frame: there the words are written after
 * HIDDEN_TAB_MS instead, not held until the tab is shown (a line read by a script or a later write meanwhile was empty).
 * @param {() => void} write
 */
export function afterDrawn(write) {
  let written = false;
  const once = () => {
    if (written) return;
    written = true;
    write();
  };
  requestAnimationFrame(() => setTimeout(once, 0));
  setTimeout(once, HIDDEN_TAB_MS);
}

/** How long words wait for a frame before they are written anyway (ms): far past a shown tab's frame (~16 ms). */
const HIDDEN_TAB_MS = 250;

/**
 * Says `text` to a screen reader: written into the page's one polite status region (#announcer, made empty on first
 * use and written once drawn, `afterDrawn`). The same text twice in a row is said again (cleared first).
 * @param {string} text
 */
export function announce(text) {
  if (!region?.isConnected) {
    region = document.createElement("p");
    region.id = "announcer";
    region.className = "sr-only";
    region.setAttribute("role", "status");
    region.setAttribute("aria-live", "polite");
    document.body.append(region);
    const made = region;
    afterDrawn(() => {
      if (waiting !== null) made.textContent = waiting;
      waiting = null;
    });
    waiting = text;
    return;
  }
  if (waiting !== null) {
    waiting = text; // the region is not drawn yet: the latest news is what it will say
    return;
  }
  const el = region;
  if (el.textContent !== text) {
    el.textContent = text;
    return;
  }
  // Unchanged text is no change to announce: cleared, then written again once this task's DOM work is done.
  el.textContent = "";
  queueMicrotask(() => {
    el.textContent = text;
  });
}
