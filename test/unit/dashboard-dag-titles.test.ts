// The DAG view draws anyone's title as inert, one-line, whole text: a box's title is cut by graphemes (a cut by
// UTF-16 units split an emoji into a lone surrogate, drawn as "�") with its newlines read as spaces; the tooltip
// isolates the title and the waiting message, so a right-to-left override in one does not turn " — queued" round;
// and the outline of a tree too large to draw isolates each title link, as every other list of titles does.
import { afterEach, describe, expect, it, vi } from "vitest";
// @ts-expect-error plain browser JavaScript, typed by JSDoc only
import { renderDag } from "../../dashboard/dag.js";
// @ts-expect-error plain browser JavaScript, typed by JSDoc only
import { graphOf } from "../../dashboard/dag-graph.js";
// @ts-expect-error plain browser JavaScript, typed by JSDoc only
import { shortText } from "../../dashboard/dom.js";
// @ts-expect-error the vendored browser build ships no types
import dagre from "../../dashboard/vendor/dagre.esm.js";
import { dashboardCss } from "./dashboard-css.ts";

/** The part of an SVG element renderDag touches, with its text read back. */
interface Fake {
  tag: string;
  attrs: Record<string, string>;
  children: Array<Fake | string>;
}
const fakeDocument = {
  createElementNS: (_ns: string, tag: string) => {
    const el: Fake & { setAttribute(k: string, v: string): void; append(...c: Array<Fake | string>): void } = {
      tag,
      attrs: {},
      children: [],
      setAttribute: (k, v) => {
        el.attrs[k] = v;
      },
      append: (...c) => void el.children.push(...c),
    };
    return el;
  },
};
const textOf = (el: Fake): string => el.children.map((c) => (typeof c === "string" ? c : textOf(c))).join("");
const find = (el: Fake, ok: (e: Fake) => boolean): Fake[] =>
  el.children.flatMap((c) => (typeof c === "string" ? [] : [...(ok(c) ? [c] : []), ...find(c, ok)]));

const RLO = "\u202e";
const job = (id: string, title: string, children: unknown[] = []) => ({
  id,
  title,
  stage: "queued",
  kind: children.length ? "composite" : "task",
  priority: "medium",
  deps: [],
  waitingReason: { code: "deps_unmet", message: `waits ${RLO}on you`, since: 0, detail: {} },
  children,
});

afterEach(() => vi.unstubAllGlobals());

describe("hostile titles in the DAG view", () => {
  it("a box shows a title whole-grapheme and on one line; its tooltip isolates the title and the message", () => {
    vi.stubGlobal("document", fakeDocument);
    const emoji = `${"😀".repeat(30)}`;
    const root = job("p", `release${RLO} 2.0\nforged line`, [job("a", emoji)]);
    const svg = renderDag(dagre, graphOf(root)) as Fake;
    const titles = find(svg, (e) => e.tag === "text" && e.attrs.class === "dag-title").map(textOf);
    expect(titles).toEqual([`release${RLO} 2.0 forged line`, `${"😀".repeat(25)}…`]);
    for (const t of titles) expect(t).not.toMatch(/\p{Cs}/u); // no lone surrogate
    const tips = find(svg, (e) => e.tag === "title").map(textOf);
    expect(tips[0]).toBe(
      `\u2068release${RLO} 2.0\nforged line\u2069 — queued\nwaiting: \u2068waits ${RLO}on you\u2069`,
    );
  });

  it("shortText collapses whitespace and never splits a grapheme", () => {
    expect(shortText("a\n\tb", 26)).toBe("a b");
    expect(shortText("🇫🇷".repeat(10), 5)).toBe(`${"🇫🇷".repeat(4)}…`);
    expect(shortText("x".repeat(26), 26)).toBe("x".repeat(26));
  });

  it("the outline's title links are bidi-isolated like every other list of titles", () => {
    const css = dashboardCss();
    const rule = css.match(/([^{}]*)\{\s*unicode-bidi: isolate;\s*\}/);
    expect(rule?.[1]?.split(",").map((s) => s.trim())).toContain(".dag-outline a");
  });
});
