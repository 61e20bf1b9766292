/**
 * @module cli/commands/children
 * `gigafactory children ID FILE.json [--key K]`: makes a queued or blocked job a composite parent with the children
 * in FILE.json — `POST …/jobs/{id}/children`'s body (`{"children": [...]}`) or just the list; a child's deps may
 * name a sibling by `#<index>`. The request carries an Idempotency-Key, by default one derived from the file's
 * bytes, so running the same command again (after a timeout, say) returns the children it made instead of a second
 * set of paid runs; `--key` names another (to add the same children twice, give each run its own key). Prints one
 * row per child (id, title, stage, deps, created or existing); --json: the API's `{parent, children}`. Ctrl-C while
 * the request is out waits for its answer and ends exit 130 (143 after
 * SIGTERM; cli/commands/children-interrupt).
 */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { DerivedKeyHeader } from "../../shared/api.ts";
import { MAX_CHILDREN_BYTES } from "../../shared/api-policies.ts";
import { EXIT_USAGE } from "../../shared/fixable-error.ts";
import type { Command } from "../context.ts";
import { CliError, usageError } from "../errors.ts";
import { tooLarge } from "../input-file.ts";
import { SIGTERM_HELP } from "../interruption.ts";
import { checked } from "../read-answers.ts";
import { ChildrenRead, inlined, inlineRows } from "../read-answers-ops.ts";
import { sendListening } from "../request-interrupt.ts";
import { NONE, renderTable } from "../table.ts";
import { utf8Text } from "../utf8-text.ts";
import { childrenAnswered, childrenFailed, childrenStoppingNote } from "./children-interrupt.ts";

/** The default key: the file's bytes, so the same file for the same parent is one request (the server scopes keys per parent). */
export function fileKey(bytes: Uint8Array): string {
  return `file:${createHash("sha256").update(bytes).digest("hex").slice(0, 32)}`;
}

/**
 * Why `key` cannot be sent as the Idempotency-Key and taken by the server, or undefined when it can: printable ASCII
 * (a header carries Latin-1 at most, and the HTTP client throws on anything wider, which read as the coordinator
 * being unreachable), then the server's own rule (shared/api DerivedKeyHeader: 1 to 128 bytes, no ", ") in its words
 * — "a, b" was told it was not 1 to 128 bytes of printable ASCII, which it is — and no blank at its ends (a header drops
 * them: the key sent would not be the one typed).
 */
export function headerKeyProblem(key: string): string | undefined {
  if (!/^[\x20-\x7e]*$/.test(key)) return "--key must be printable ASCII (U+0020–U+007E): it is sent as a header";
  // fetch sends a header without the blanks at its ends: " k" went out as "k", and "   " as no key at all.
  if (key.trim() !== "" && key.trim() !== key)
    return "--key must not start or end with a blank: it is sent as a header, which drops them";
  const parsed = DerivedKeyHeader.safeParse(key);
  if (parsed.success) return undefined;
  return key === "" ? "--key must not be empty" : `--key must be ${parsed.error.issues[0]?.message ?? "a key"}`;
}

/** The children list from a file's text: the API body or the bare list. */
export function childrenOf(text: string, file: string): unknown[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    const why = `${file}: not JSON (${(err as Error).message})`;
    throw new CliError("invalid_json", why, 'write {"children": [...]}', EXIT_USAGE);
  }
  const list = Array.isArray(doc) ? doc : (doc as { children?: unknown } | null)?.children;
  if (!Array.isArray(list)) {
    const fix = 'write {"children": [{"title": "…"}, …]}';
    throw new CliError("invalid_json", `${file}: no children list`, fix, EXIT_USAGE);
  }
  return list;
}

export const children: Command = {
  path: ["children"],
  args: { names: "ID FILE.json", min: 2, max: 2 },
  jobIdArg: true,
  summary: "give a queued or blocked job children from a JSON file (a retry returns the same children)",
  details: [
    "Prints one row per child (ID, TITLE, STAGE, DEPS, RESULT: created, or existing when this same request made it",
    "before) and a count line; under --json the API's {parent, children}. The Idempotency-Key is derived from the",
    "file's bytes unless --key names one, so the same command again returns the children it made, not a second set.",
    "Ctrl-C while the children are on their way waits for the answer (within --timeout), which decides whether they",
    "were added: it prints them as without it and ends `✘ ERROR interrupted` naming `gigafactory tree ID` (exit 130;",
    "under --json the answer with `error`); a request that failed after it says whether they may have been added and",
    "that the same command again makes none twice (under --json {error, failure}). A second Ctrl-C ends at once.",
    SIGTERM_HELP,
  ],
  options: {
    key: { type: "string", value: "K", help: "the Idempotency-Key (default: derived from the file's bytes)" },
  },
  async run(ctx) {
    const [id, file] = ctx.positionals as [string, string];
    const bytes = await readFile(file).catch((err: NodeJS.ErrnoException) => {
      throw new CliError(
        "file_unreadable",
        `${file}: cannot read the file (${err.code ?? err.message})`,
        "check the path",
        EXIT_USAGE,
      );
    });
    const key = ctx.str("key") ?? fileKey(bytes);
    const problem = headerKeyProblem(key);
    if (problem !== undefined) throw usageError(problem, "children");
    const list = childrenOf(utf8Text(bytes, `${file}: `), file);
    // The body sent is `{"children": […]}` as JSON (shared/http-client addChildren): past the coordinator's bound it
    // was sent whole, to be refused 413 payload_too_large.
    if (Buffer.byteLength(JSON.stringify({ children: list })) > MAX_CHILDREN_BYTES)
      throw tooLarge(MAX_CHILDREN_BYTES, "a job's children", `${file}: `);
    // Ctrl-C while the POST is out waits for its answer (children-interrupt): it decides whether they were added.
    const sent = await sendListening(ctx, childrenStoppingNote(id, list.length), async () => {
      const made = await ctx.client().addChildren(id, list, key);
      checked(ChildrenRead, made, "a parent with its children");
      return made;
    });
    if ("failed" in sent) return childrenFailed(ctx, sent.stopped, sent.failed, ctx.str("key"));
    const made = sent.answer;
    if (ctx.json) {
      if (sent.stopped) return childrenAnswered(ctx, sent.stopped, made);
      ctx.emit({ parent: made.parent, children: made.children });
      return 0;
    }
    const result = made.replayed ? "existing" : "created";
    const rows = made.children.map((c) => [c.id, c.title, c.stage, c.deps.join(", ") || NONE, result]);
    const columns = [{ header: "ID" }, { header: "TITLE", max: 48 }, { header: "STAGE" }, { header: "DEPS", max: 40 }];
    ctx.print(renderTable([...columns, { header: "RESULT" }], inlineRows(rows)));
    const what = made.replayed ? "made by this same request before: nothing new" : "added";
    const n = made.children.length;
    ctx.note(inlined`${made.parent.id} is ${made.parent.stage}; ${n} ${n === 1 ? "child" : "children"} ${what}`);
    return sent.stopped ? childrenAnswered(ctx, sent.stopped, made) : 0;
  },
};
