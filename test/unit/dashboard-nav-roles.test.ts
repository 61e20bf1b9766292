// The dashboard's nav: a link to a page only an operator can use is marked `data-needs="operator"`, as every write
// control is, so a viewer is not led to a page that can only tell it so (role.js, style.css) — and no other link is.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

describe("dashboard nav", () => {
  it("marks the links to pages only an operator can use, and no other", () => {
    const html = readFileSync(new URL("../../dashboard/index.html", import.meta.url), "utf8");
    const links = [...html.matchAll(/<a href="#\/([a-z-]+)"([^>]*)>/g)].map(([, page, rest]) => [
      page,
      /data-needs="operator"/.test(rest ?? ""),
    ]);
    expect(links.filter(([, marked]) => marked).map(([page]) => page)).toEqual(["enrollment", "dead-letters"]);
    expect(links.length).toBeGreaterThan(6);
  });
});
