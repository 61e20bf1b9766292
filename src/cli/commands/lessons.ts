/**
 * @module cli/commands/lessons
 * The lessons journal (issue 9 item 7): `gigafactory lessons list [--source auto|operator] [--q TEXT] [--archived]
 * [--all]` shows the product's lessons newest first (from D1); `lessons add TEXT [--cap C]… [--engine E]
 * [--serial-key K]` records an operator lesson (no scope = every job); `lessons edit ID [--text T] [--cap C]…
 * [--engine E|--no-engine] [--serial-key K|--no-serial-key]` changes one; `lessons archive ID` retires it and
 * `lessons restore ID` brings it back (`lessons list --archived` lists them). An
 * automatic lesson an operator reworded shows as `auto · edited by <actor>`. Under --json: the API's documents (`{items, nextCursor?}` for list, the lesson otherwise); a list that stops before the
 * last page says so. Failures: ✘ ERROR from the API's problem.
 */
import { isLessonId, LESSON_LIMITS, type Lesson } from "../../core/lessons.ts";
import type { GigafactoryClient } from "../../shared/http-client.ts";
import type { Command, Ctx } from "../context.ts";
import { quotedInput } from "../echoed-input.ts";
import { usageError } from "../errors.ts";
import { plainTextInput } from "../plain-input.ts";
import { checked } from "../read-answers.ts";
import { inline, inlineRows, LessonPageRead, LessonRead } from "../read-answers-ops.ts";
import { formatInstant, NONE, renderTable } from "../table.ts";
import { repeatedCursor } from "./jobs.ts";

/** Pages `lessons list --all` follows at most (200 lessons each): a journal that long is read in the dashboard. */
const MAX_PAGES = 25;

type Page = { items: Lesson[]; nextCursor?: string };
/** A PATCH's answer: `changed: false` when the patch changed nothing (absent from older coordinators). */
type Edited = Lesson & { changed?: boolean };

/** The lessons routes through the client's own `send` (auth, retries, ApiError → ✘ ERROR). */
async function call<T>(
  client: GigafactoryClient,
  method: string,
  path: string,
  opts: { query?: Record<string, string | number | undefined>; json?: unknown } = {},
): Promise<T> {
  const { query, json } = opts;
  const res = await client.send(method, client.productUrl(path, query), json === undefined ? {} : { json });
  return (await res.json()) as T;
}

function scopeOf(l: Lesson): string {
  const parts = [
    ...(l.capabilities.length > 0 ? [`caps ${l.capabilities.join("+")}`] : []),
    ...(l.engine ? [`engine ${l.engine}`] : []),
    ...(l.serialKey ? [`serial ${l.serialKey}`] : []),
  ];
  return parts.length > 0 ? parts.join(", ") : "every job";
}

/**
 * Whose words a lesson is: `operator`, `auto`, or `auto · edited by <actor>` for an automatic lesson an operator
 * reworded (its repeats count but keep the operator's words). A marker that is not a string is not shown.
 */
function sourceOf(l: Lesson): string {
  return l.source === "auto" && typeof l.editedBy === "string" ? `auto · edited by ${l.editedBy}` : l.source;
}

function describe(l: Lesson): string {
  return inline(`${l.id} (${sourceOf(l)}, ${scopeOf(l)}${l.archived ? ", archived" : ""}): ${l.text}`);
}

/** `raw` when it has a lesson id's shape (`les_…`, core/lessons), before it goes in a path; else a usage error. */
function lessonId(raw: string | undefined, command: string): string {
  if (!isLessonId(raw)) throw usageError(`${quotedInput(raw ?? "")} is not a lesson id (les_…)`, command);
  return raw;
}

/** The scope options shared by add and edit. */
const SCOPE = {
  cap: { type: "string", multiple: true, value: "C", help: "only jobs requiring this capability (repeatable: all)" },
  engine: { type: "string", value: "E", help: "only jobs asking for this engine" },
  "serial-key": { type: "string", value: "K", help: "only jobs of this serial key" },
} as const;

function scopeChanges(ctx: Ctx): Record<string, unknown> {
  const caps = ctx.strs("cap");
  const engine = ctx.str("engine");
  const serialKey = ctx.str("serial-key");
  return {
    ...(caps.length > 0 ? { capabilities: caps } : {}),
    ...(engine !== undefined ? { engine } : {}),
    ...(serialKey !== undefined ? { serialKey } : {}),
  };
}

export const lessonsCommands: Command[] = [
  {
    path: ["lessons", "list"],
    args: { names: "", min: 0, max: 0 },
    summary: "the product's lessons, newest first: what engines are told before they start a job",
    options: {
      source: { type: "string", value: "S", choices: ["auto", "operator"], help: "only auto or operator lessons" },
      q: { type: "string", value: "TEXT", help: "only lessons whose text contains TEXT" },
      archived: { type: "boolean", help: "show archived lessons instead" },
      all: { type: "boolean", help: "follow nextCursor and list every lesson" },
    },
    async run(ctx) {
      const client = ctx.client();
      const items: Lesson[] = [];
      let cursor: string | undefined;
      const seen = new Set<string>();
      const query = { source: ctx.str("source"), q: ctx.str("q"), archived: ctx.flag("archived") ? "only" : undefined };
      for (let page = 0; page < (ctx.flag("all") ? MAX_PAGES : 1); page++) {
        const answer = await call<Page>(client, "GET", "/lessons", { query: { ...query, limit: 200, cursor } });
        const got = checked(LessonPageRead, answer, "a page of lessons");
        for (const l of got.items) items.push(l); // not push(...): one argument per lesson overflows past ~125,000
        cursor = got.nextCursor;
        if (!cursor) break;
        // A cursor handed out twice listed the same lessons again, page after page, up to MAX_PAGES.
        if (seen.has(cursor)) throw repeatedCursor(cursor, "`lessons list --all`");
        seen.add(cursor);
      }
      // A page (or MAX_PAGES of them) that is not the last: said, as `jobs` does — else 200 read as all of them.
      if (ctx.json) ctx.emit({ items, ...(cursor ? { nextCursor: cursor } : {}) });
      else if (items.length === 0) ctx.print("no lessons yet");
      else
        ctx.print(
          renderTable(
            [
              { header: "ID" },
              { header: "SOURCE", max: 40 },
              { header: "SCOPE", max: 30 },
              { header: "SEEN", align: "right" },
              { header: "UPDATED" },
              // Never cut (cli/table `wrap`): a lesson is advice, its point often in its second half.
              { header: "TEXT", max: 80, wrap: true },
            ],
            inlineRows(
              items.map((l) => [
                l.id,
                sourceOf(l),
                scopeOf(l),
                String(l.count),
                formatInstant(l.updatedAt),
                l.text || NONE,
              ]),
            ),
            ctx.io.stdoutColumns,
          ),
        );
      if (cursor)
        ctx.note(
          ctx.flag("all")
            ? `… more lessons than ${items.length}: narrow the list with --source or --q`
            : "… more lessons: pass --all",
        );
      return 0;
    },
  },
  {
    path: ["lessons", "add"],
    args: { names: "TEXT", min: 1, max: 1 },
    summary: "record an operator lesson; with no scope option it reaches every job of the product",
    options: SCOPE,
    async run(ctx) {
      const added = await call<Lesson>(ctx.client(), "POST", "/lessons", {
        json: {
          text: plainTextInput(ctx.positionals[0]!, "TEXT", "lessons add", LESSON_LIMITS.textMaxBytes),
          ...scopeChanges(ctx),
        },
      });
      const lesson = checked(LessonRead, added, "a lesson");
      if (ctx.json) ctx.emit(lesson);
      else ctx.print(`✔ added — ${describe(lesson)}`);
      return 0;
    },
  },
  {
    path: ["lessons", "edit"],
    args: { names: "ID", min: 1, max: 1 },
    summary: "change a lesson's text or scope (--no-engine / --no-serial-key clear them)",
    options: {
      text: { type: "string", value: "TEXT", help: "the new text" },
      ...SCOPE,
      "no-engine": { type: "boolean", help: "clear the engine scope" },
      "no-serial-key": { type: "boolean", help: "clear the serial-key scope" },
    },
    async run(ctx) {
      const id = lessonId(ctx.positionals[0], "lessons edit");
      const patch: Record<string, unknown> = { ...scopeChanges(ctx) };
      const text = ctx.str("text");
      if (text !== undefined) patch.text = plainTextInput(text, "--text", "lessons edit", LESSON_LIMITS.textMaxBytes);
      for (const [key, field] of [
        ["engine", "engine"],
        ["serial-key", "serialKey"],
      ] as const) {
        if (!ctx.flag(`no-${key}`)) continue;
        // Both said at once: the clear won without a word, dropping the value typed beside it.
        if (patch[field] !== undefined)
          throw usageError(`--${key} and --no-${key} contradict each other: give one`, "lessons edit");
        patch[field] = null;
      }
      if (Object.keys(patch).length === 0) throw usageError("lessons edit needs something to change", "lessons edit");
      const lesson = checked(
        LessonRead,
        await call<Edited>(ctx.client(), "PATCH", `/lessons/${id}`, { json: patch }),
        "a lesson",
      );
      if (ctx.json) ctx.emit(lesson);
      else ctx.print(`${lesson.changed === false ? "unchanged (already so)" : "✔ edited"} — ${describe(lesson)}`);
      return 0;
    },
  },
  archiveCommand(
    "archive",
    true,
    "archive a lesson: assignments stop carrying it; D1 keeps it (`lessons restore` undoes it)",
  ),
  archiveCommand("restore", false, "restore an archived lesson: assignments carry it again where its scope matches"),
];

/**
 * `lessons archive ID` (`archived: true`) or `lessons restore ID` (`archived: false`): one PATCH; the answer's
 * `changed: false` is "already archived" / "not archived". Under --json the lesson. Errors: ✘ ERROR from the API.
 */
function archiveCommand(verb: "archive" | "restore", archived: boolean, summary: string): Command {
  const usage = `lessons ${verb}`;
  return {
    path: ["lessons", verb],
    args: { names: "ID", min: 1, max: 1 },
    summary,
    options: {},
    async run(ctx) {
      const id = lessonId(ctx.positionals[0], usage);
      const answer = await call<Edited>(ctx.client(), "PATCH", `/lessons/${id}`, { json: { archived } });
      const lesson = checked(LessonRead, answer, "a lesson");
      if (ctx.json) ctx.emit(lesson);
      else {
        const done = archived ? "✔ archived" : "✔ restored";
        const already = archived ? "already archived" : "not archived (nothing to restore)";
        ctx.print(
          `${lesson.changed === false ? already : done} — ${describe(lesson)} (at ${formatInstant(lesson.updatedAt)})`,
        );
      }
      return 0;
    },
  };
}
