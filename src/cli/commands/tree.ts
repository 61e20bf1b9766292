/**
 * @module cli/commands/tree
 * `gigafactory tree ID`: a job and its composite children as an indented tree, one line per job — id, stage,
 * title, its deps and why it waits. Under --json: the API's answer (`{root}`) unchanged.
 */
import type { TreeNode } from "../../shared/http-client.ts";
import type { Command } from "../context.ts";
import { checkedTree, lineOf } from "../read-answers-policy.ts";
import { truncate } from "../table.ts";

/** 60 columns of title: the line stays readable in an 120-column terminal with its id, stage and reason. */
const TITLE_CHARS = 60;

/** The tree as text: `├─`/`└─` connectors, each line `id  stage  title  [deps: …]  — waiting reason`. */
export function renderTree(root: TreeNode): string {
  const lines: string[] = [];
  const walk = (node: TreeNode, prefix: string, connector: string, childPrefix: string): void => {
    lines.push(`${prefix}${connector}${describe(node)}`);
    node.children.forEach((child, i) => {
      const last = i === node.children.length - 1 && !node.truncated;
      walk(child, prefix + childPrefix, last ? "└─ " : "├─ ", last ? "   " : "│  ");
    });
    if (node.truncated) lines.push(`${prefix}${childPrefix}└─ … ${more(node, node === root)}`);
  };
  walk(root, "", "", "");
  return lines.join("\n");
}

/**
 * Where the rest of a cut node is read. Below the root, from that node's own tree; the root's own tree is this one,
 * so naming it again (as this did) sent the operator round in a circle: its cut is the answer's node limit.
 */
function more(node: TreeNode, isRoot: boolean): string {
  if (!isRoot) return `more (run \`gigafactory tree ${lineOf(node.id)}\`)`;
  return "more not shown: the tree reached its node limit (run `gigafactory tree ID` on a child to read its part)";
}

/**
 * One line per job, whatever its title holds: a title is anyone's text (a tracker issue's, say), and a newline in it
 * printed as one drew lines of its own — a forged `└─ job_…  shipped` child — so whitespace runs read as one space,
 * as in every table (cli/table `truncate`), which also cuts by graphemes and columns: a cut by UTF-16 units split an
 * emoji into a lone surrogate, printed as `�`.
 */
function describe(node: TreeNode): string {
  const title = truncate(node.title, TITLE_CHARS);
  const parts = [node.id, node.stage.padEnd(11), node.kind === "composite" ? `${title} (composite)` : title];
  if (node.deps.length > 0) parts.push(`[deps: ${node.deps.join(", ")}]`);
  if (node.waitingReason) parts.push(`— ${node.waitingReason.message.replace(/\s+/g, " ")}`); // it names factories and reviewers
  // The id, stage and deps are the server's text too: a newline in one drew a forged line, as a title's did.
  return lineOf(parts.join("  "));
}

export const tree: Command = {
  path: ["tree"],
  args: { names: "ID", min: 1, max: 1 },
  jobIdArg: true,
  summary: "show a job and its children as a tree, with each one's stage and why it waits",
  options: {},
  async run(ctx) {
    const answer = checkedTree(await ctx.client().jobTree(ctx.positionals[0]!));
    if (ctx.json)
      ctx.emit(answer); // whole: a newer coordinator's fields beside `root` are kept
    else ctx.print(renderTree(answer.root));
    return 0;
  },
};
