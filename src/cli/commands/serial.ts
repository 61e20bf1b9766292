/**
 * @module cli/commands/serial
 * Serial gates: `gigafactory serial list` shows every key (up to 10,000; past them the cut is said on stderr) with a holder (running, or a cancelled or preempted run
 * still stopping), a queue or a freeze; `serial freeze KEY --reason TEXT` stops new dispatch of the key's jobs (the
 * running holder finishes), `serial unfreeze KEY` lets its most urgent waiting job go. Under --json: the API's documents (`{keys}` for list, the key's gate otherwise).
 */
import { FREEZE_REASON_MAX_BYTES, serialKeyProblem } from "../../core/serial-gates.ts";
import type { SerialGate } from "../../shared/http-client.ts";
import type { Command } from "../context.ts";
import { quotedInput } from "../echoed-input.ts";
import { usageError } from "../errors.ts";
import { factoryNamer, factoryNames, nameWaitMs } from "../factory-names.ts";
import { plainTextInput } from "../plain-input.ts";
import { checked } from "../read-answers.ts";
import { checkedWrite, lineOf, lineTable, SerialGateRead, SerialPageRead } from "../read-answers-policy.ts";
import { formatInstant, NONE } from "../table.ts";
import { repeatedCursor } from "./jobs.ts";

/**
 * Pages followed by `serial list` at most: far beyond any real set of live keys, but a bound all the same — past it
 * the cut is said on stderr, so the keys read never pass for all of them.
 */
const MAX_PAGES = 50;
/** Keys per page: the API's largest page. */
const PAGE = 200;

/**
 * Who holds the key: the running job, or the job whose run is stopping after its lease ended (a cancel, a
 * preemption, a lapse…) — the key stays held until its factory says it stopped, at the latest until `until`. The
 * factory by `named` (cli/factory-names): its id alone read `stopping on fac_0mxc6m72…`, where `jobs` names it.
 */
function holderText(g: SerialGate, named: (id: string) => string): string {
  if (g.holder) return g.holder;
  // `stopping` is absent from older coordinators' answers.
  const s = g.stopping;
  return s ? `${s.jobId} (stopping on ${named(s.factoryId)}, until ${formatInstant(s.until)} at the latest)` : NONE;
}

/** How `gates` name factories: read from the fleet only when one is stopping on a factory (no other names one). */
async function namerFor(gates: readonly SerialGate[], client: Parameters<typeof factoryNames>[0], waitMs: number) {
  return factoryNamer(gates.some((g) => !g.holder && g.stopping) ? await factoryNames(client, waitMs) : new Map());
}

/**
 * What runs next: dispatch's choice (`next`: due now), or, with none due, when the first retry backoff ends — not
 * the queue's head, which may be waiting out its backoff. Older coordinators send no `next`: their queue's head.
 */
export function nextText(g: SerialGate): string {
  if (g.next === undefined) return g.queue[0] ?? NONE;
  if (g.next) return g.next;
  return g.nextDueAt ? `none due (next at ${formatInstant(g.nextDueAt)})` : NONE;
}

/**
 * The KEY argument, checked by the rule every key obeys (core/serial-gates) before anything is sent: `..` went out as
 * `/serial/../freeze`, which the URL resolves to `/freeze` — a 404 whose fix said to check --url.
 * @throws CliError usage — not a serial key
 */
function keyArg(key: string, command: string): string {
  const problem = serialKeyProblem(key);
  if (problem) throw usageError(`${quotedInput(key)} is not a serial key: ${problem}`, command);
  return key;
}

/** The gate a freeze or unfreeze answered, on one line whatever its key, reason or holder hold. */
function describeGate(g: SerialGate, named: (id: string) => string): string {
  const frozen = g.frozen ? `frozen by ${g.frozen.by}: ${g.frozen.reason}` : "open";
  return lineOf(`${g.key}: ${frozen}; holder ${holderText(g, named)}; ${g.queueLength} queued`);
}

/** A freeze's or unfreeze's answer, checked before it is printed: the request went out whatever it is. */
const gateAnswer = <T>(gate: T, key: string): T =>
  checkedWrite(SerialGateRead, gate, "a serial key's gate", `read \`gigafactory serial list\` for ${key}`);

export const serialCommands: Command[] = [
  {
    path: ["serial", "list"],
    args: { names: "", min: 0, max: 0 },
    summary:
      "serial keys with a holder, a queue or a freeze: who holds each, what waits (most urgent first), why frozen",
    options: {},
    async run(ctx) {
      const client = ctx.client();
      const keys: SerialGate[] = [];
      let cursor: string | undefined;
      // A cursor handed out twice lists the same keys again, page after page, up to the bound: said, not listed.
      const seen = new Set<string>();
      for (let page = 0; page < MAX_PAGES; page++) {
        const asked = { limit: PAGE, ...(cursor ? { cursor } : {}) };
        const got = checked(SerialPageRead, await client.listSerialGates(asked), "a page of serial keys");
        keys.push(...got.keys);
        cursor = got.nextCursor;
        if (!cursor) break;
        if (seen.has(cursor)) throw repeatedCursor(cursor, "the list");
        seen.add(cursor);
      }
      if (ctx.json) ctx.emit({ keys });
      else if (keys.length === 0) ctx.print("no serial key has a holder, a queue or a freeze");
      else {
        const named = await namerFor(keys, client, nameWaitMs(ctx.io.env));
        ctx.print(
          lineTable(
            [
              { header: "KEY", max: 40 },
              { header: "HOLDER" },
              { header: "QUEUED", align: "right" },
              { header: "NEXT" },
              // Never cut (cli/table `wrap`): the reason a key was frozen, which says when to thaw it.
              { header: "FROZEN", max: 60, wrap: true },
            ],
            keys.map((g) => [
              g.key,
              holderText(g, named),
              String(g.queueLength),
              nextText(g),
              g.frozen ? `${g.frozen.by} ${formatInstant(g.frozen.at)}: ${g.frozen.reason}` : NONE,
            ]),
            ctx.io.stdoutColumns,
          ),
        );
      }
      // A cursor left after the last page read: there are more keys than were listed.
      if (cursor) ctx.note(`only the first ${PAGE * MAX_PAGES} serial keys are listed: GET …/serial pages on`, true);
      return 0;
    },
  },
  {
    path: ["serial", "freeze"],
    args: { names: "KEY", min: 1, max: 1 },
    summary: "freeze a serial key: none of its jobs is dispatched until unfrozen (the running holder finishes)",
    options: { reason: { type: "string", value: "TEXT", help: "why, for the audit log and the board (required)" } },
    async run(ctx) {
      const key = keyArg(ctx.positionals[0]!, "serial freeze");
      const typed = ctx.str("reason");
      if (!typed) throw usageError("serial freeze needs --reason", "serial freeze");
      const reason = plainTextInput(typed, "--reason", "serial freeze", FREEZE_REASON_MAX_BYTES);
      const client = ctx.client();
      const gate = gateAnswer(await client.freezeSerialKey(key, reason), key);
      if (ctx.json) ctx.emit(gate);
      else {
        const line = describeGate(gate, await namerFor([gate], client, nameWaitMs(ctx.io.env)));
        ctx.print(`${gate.changed === false ? "already frozen for this reason" : "✔ frozen"} — ${line}`);
      }
      return 0;
    },
  },
  {
    path: ["serial", "unfreeze"],
    args: { names: "KEY", min: 1, max: 1 },
    summary: "unfreeze a serial key: its most urgent waiting job is dispatched",
    options: { reason: { type: "string", value: "TEXT", help: "why, for the audit log" } },
    async run(ctx) {
      const key = keyArg(ctx.positionals[0]!, "serial unfreeze");
      const typed = ctx.str("reason");
      const reason =
        typed === undefined ? undefined : plainTextInput(typed, "--reason", "serial unfreeze", FREEZE_REASON_MAX_BYTES);
      const client = ctx.client();
      const gate = gateAnswer(await client.unfreezeSerialKey(key, reason), key);
      if (ctx.json) ctx.emit(gate);
      else {
        const line = describeGate(gate, await namerFor([gate], client, nameWaitMs(ctx.io.env)));
        ctx.print(`${gate.changed === false ? "already unfrozen (it was not frozen)" : "✔ unfrozen"} — ${line}`);
      }
      return 0;
    },
  },
];
