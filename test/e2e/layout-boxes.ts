// Boxes of several elements read in one task of the page (not one round trip each): a poll's redraw between two
// `locator.boundingBox()` calls replaced the element the first had found, and the second read null, or a box of the
// old element beside one of the new (pass 43's CI: the Fleet card redrawn under its badge's read).
import type { Page } from "playwright-core";
import { settledRead } from "./one-read.ts";

/** An element's laid-out box, in CSS px of the viewport (DOMRect's fields). */
export interface LaidOutBox {
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * The boxes of the first element each CSS selector in `selectors` matches, read in one `page.evaluate` — so all of
 * the same drawing — waited for until every one is there and laid out (not `display: none`, width or height > 0).
 * @param page the page @param selectors CSS selectors, in the order of the boxes answered
 * @returns their boxes; fails the test when they are not all laid out within 20 s
 */
export async function boxesAtOnce(page: Page, selectors: string[]): Promise<LaidOutBox[]> {
  // A string, run in the page (the project's Node types have no DOM): the selectors go in as JSON.
  const read = () =>
    page.evaluate<LaidOutBox[] | null>(`(() => {
      const boxes = ${JSON.stringify(selectors)}.map((s) => document.querySelector(s)?.getBoundingClientRect());
      if (boxes.some((b) => !b || (b.width === 0 && b.height === 0))) return null;
      return boxes.map((b) => ({ x: b.x, y: b.y, width: b.width, height: b.height }));
    })()`);
  return settledRead(async () => (await read()) ?? undefined, `laid out at once: ${selectors.join(", ")}`, {
    timeout: 20_000,
  });
}
