// `gigafactory tree` in a terminal: one indented line per job with its stage, deps and waiting reason, connectors
// that close on the last child, and a hint where the server cut the tree.
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
});
