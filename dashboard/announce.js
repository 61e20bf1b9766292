/**
 * @module dashboard/announce
 * One polite live region for the whole page, for news that has no status line of its own to be said in: a screen
 * reader reads what is written here once, after what it is reading (WCAG 4.1.3). Drawn for no eye (.sr-only).
 */

/** @type {HTMLElement | null} */
let region = null;

/**
 * Says `text` to a screen reader: written into the page's one polite status region (#announcer, made on first use).
 * The same text twice in a row is said again (cleared first).
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
