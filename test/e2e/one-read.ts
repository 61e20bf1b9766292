// Reads of a page that redraws on its own (the poller's ticks, a panel's re-read), made so that what a test checks is
// what one look saw: `settledRead` polls a read until it gives a value and hands back that very value. Polling for a
// state and then reading it again is two looks, and a redraw between them hands the second one the element drawn
// anew — or none for a moment — not the one the poll saw (a boundingBox() null: fresh-clone CI, dashboard-fleet-link).
// A read that needs two things of the page (two boxes, a text and a width) takes them in one `evaluateAll` (one
// round trip); a locator's `evaluate` or `boundingBox()` finds the element, then asks about it in a second one.
import { expect } from "vitest";

/**
 * Polls `read` until it gives a value (anything but undefined) and returns that value, read in the same look.
 * @param read one look at the page: undefined while what it looks for is not drawn
 * @param what what is looked for, named in the poll's failure
 * @param opts.timeout how long to poll, ms
 * @throws vitest's assertion error when no look gave a value within `timeout` ms
 */
export async function settledRead<T>(
  read: () => Promise<T | undefined>,
  what: string,
  opts: { timeout: number },
): Promise<T> {
  let seen: T | undefined;
  await expect
    .poll(
      async () => {
        seen = await read();
        return seen !== undefined;
      },
      { ...opts, message: what },
    )
    .toBe(true);
  return seen as T;
}
