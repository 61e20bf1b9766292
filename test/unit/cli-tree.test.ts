// `gigafactory tree` in a terminal: one indented line per job with its stage, deps and waiting reason, connectors
// that close on the last child, and a hint where the server cut the tree; a hostile title (a newline that would
// draw a forged child line, emoji a UTF-16 cut would split) stays on its own line, cut whole.
import { describe, expect, it } from "vitest";
import { renderTree } from "../../src/cli/commands/tree.ts";
import type { TreeNode } from "../../src/shared/responses.ts";

const node = (id: string, extra: Partial<TreeNode> = {}): TreeNode => ({
  id,
  title: `title ${id}`,
  stage: "queued",
  kind: "task",
  priority: "medium",
  deps: [],
  waitingReason: null,
  children: [],
  ...extra,
});

describe("renderTree", () => {
  it("indents children under their parent with stage, deps and the waiting reason", () => {
    const root = node("p", {
      stage: "blocked",
      kind: "composite",
      children: [
        node("a", { stage: "shipped" }),
        node("b", {
          stage: "blocked",
          deps: ["a"],
          waitingReason: { code: "deps_unmet", message: "waiting for a", since: 0, detail: {} },
          children: [node("c")],
        }),
      ],
    });
    expect(renderTree(root).split("\n")).toEqual([
      "p  blocked      title p (composite)",
      "├─ a  shipped      title a",
      "└─ b  blocked      title b  [deps: a]  — waiting for a",
      "   └─ c  queued       title c",
    ]);
  });

  it("marks a truncated node with how to read the rest", () => {
    const text = renderTree(node("p", { children: [node("a", { truncated: true })] }));
    expect(text.split("\n")).toEqual([
      "p  queued       title p",
      "└─ a  queued       title a",
      "   └─ … more (run `gigafactory tree a`)",
    ]);
  });

  // The root's cut is the answer's node limit: `gigafactory tree p` for root p prints this same cut again, so the
  // hint that named it sent the operator round in a circle.
  it("does not send the operator back to the same tree when the root itself is cut", () => {
    const text = renderTree(node("p", { truncated: true, children: [node("a")] }));
    expect(text).not.toContain("gigafactory tree p`");
    expect(text.split("\n").at(-1)).toBe(
      "└─ … more not shown: the tree reached its node limit (run `gigafactory tree ID` on a child to read its part)",
    );
  });

  // A title is anyone's text (tracker ingest takes it from an issue): its newline drew a line of its own, here a
  // forged child "shipped", and a cut by UTF-16 units left half an emoji (a lone surrogate, printed as �).
  it("keeps a hostile title on its job's line and cuts it whole", () => {
    const forged = "fix login\n└─ job_forged  shipped      all good";
    const emoji = "😀".repeat(40);
    const lines = renderTree(node("p", { title: forged, children: [node("a", { title: emoji })] })).split("\n");
    expect(lines).toEqual([
      "p  queued       fix login └─ job_forged shipped all good",
      expect.stringMatching(/^└─ a {2}/),
    ]);
    const cut = lines[1]!.slice("└─ a  queued       ".length);
    expect(cut).not.toMatch(/\p{Cs}/u); // no lone surrogate
    expect(cut).toBe(`${"😀".repeat(29)}…`); // 29 two-column emoji and the ellipsis: within the title's 60 columns
  });
});
