/**
 * @module cli/commands/factory-changes
 * `gigafactory factory drain|quarantine|activate|approve|release|rotate|revoke|rm ID`: the changes an operator
 * makes to one factory, each printing what the factory is now (or `--json`); `factory breaker-reset ID ENGINE`
 * closes one of its breakers (cli/commands/factory-breaker-reset). ID is the factory's id or its name
 * (cli/factory-ref). The fleet listing is cli/commands/factories, enrollment cli/commands/enroll.
 */

import { counted } from "../../core/counted.ts";
import type { Enrolled } from "../../shared/http-client.ts";
import type { Command, Ctx } from "../context.ts";
import { factoryId } from "../factory-ref.ts";
import { SIGTERM_HELP } from "../interruption.ts";
import { checked, EnrolledRead } from "../read-answers.ts";
import { DeregisteredRead, FactoryChangedRead, FactoryGrantRead, FleetRefsRead, inlined } from "../read-answers-ops.ts";
import { list } from "../table.ts";
import { showToken } from "./factories.ts";
import { breakerResetCommand } from "./factory-breaker-reset.ts";
import { type SecretWords, sendForSecret } from "./secret-interrupt.ts";

const STATUS_CHANGES = {
  drain: { status: "draining", summary: "stop giving a factory new work; it finishes what it holds" },
  quarantine: { status: "quarantined", summary: "take a factory out of rotation until an operator releases it" },
  activate: { status: "active", summary: "return a drained or quarantined factory to rotation" },
} as const;

/**
 * The factory the command names, by id or name. A name is looked up in the fleet, checked before the change is sent:
 * unchecked, a fleet list of another shape crashed as an `internal` "CLI bug", or an id of another type went into
 * the change's path — a write to a factory nobody named. `live`: every change but `rm` is one the coordinator refuses
 * of a revoked factory, so a revoked one sharing the name does not make it ambiguous (cli/factory-ref `factoryIdIn`).
 */
const idOf = (ctx: Ctx, live = true): Promise<string> => {
  const client = ctx.client();
  const listFactories = async () =>
    checked(FleetRefsRead, { factories: await client.listFactories() }, "a list of factories").factories;
  return factoryId({ listFactories }, ctx.positionals[0]!, live);
};

/**
 * What Ctrl-C or SIGTERM during `factory rotate REF` says: the new token shown, or the host locked out and the way
 * back.
 */
function rotateWords(ref: string): SecretWords<Enrolled> {
  return {
    note: (how) =>
      `${how.by}: the rotation of factory ${ref}'s token is on its way; waiting for its answer, which holds the new ` +
      `token, shown once; ${how.again} ends at once, and the host may be locked out: its old token refused, the ` +
      "new one never shown",
    failure: {
      during: `while the rotation of factory ${ref}'s token was on its way`,
      // Not "the old one still works": a revoked or deregistered factory, refused 409 or 404, has none (pass 45 review).
      refused: "the token was not rotated: nothing changed",
      again: "run the command again",
      unknown: "the token may have been rotated — the host's old token refused — and the new one never shown",
      unknownFix:
        `run \`gigafactory factory rotate ${ref}\` again: the token this one made, if it made one, was never shown; ` +
        "the new rotation's token is the one to give the host",
    },
    answered: (e) => ({
      came: inlined`the old token of ${e.factory.name} (${e.factoryId}) is refused now; the new one is shown here once`,
      fix: "run the command shown (`command` under --json) on the host now: until then it is locked out",
    }),
  };
}

/** The factory a change answered, checked before it is printed (or emitted). */
const changed = <T>(f: T): T => checked(FactoryChangedRead, f, "a factory");

function statusCommand(verb: keyof typeof STATUS_CHANGES): Command {
  const { status, summary } = STATUS_CHANGES[verb];
  return {
    path: ["factory", verb],
    args: { names: "ID", min: 1, max: 1 },
    summary,
    options: {},
    async run(ctx) {
      const f = changed(await ctx.client().setFactoryStatus(await idOf(ctx), status));
      if (ctx.json) ctx.emit(f);
      // `changed: false`: it was so already — no ✔, nothing happened now (as `factory approve`, `budget pause`).
      else if (f.changed === false)
        ctx.print(inlined`already ${f.status}: nothing changed — factory ${f.name} (${f.id})`);
      else ctx.print(inlined`✔ factory ${f.name} (${f.id}) is now ${f.status}`);
      return 0;
    },
  };
}

export const factoryCommands: Command[] = [
  statusCommand("drain"),
  statusCommand("quarantine"),
  statusCommand("activate"),
  {
    path: ["factory", "approve"],
    args: { names: "ID", min: 1, max: 1 },
    summary: "approve capabilities a factory declared beyond its enrollment (all pending by default), or its seats",
    options: {
      cap: { type: "string", multiple: true, value: "C", help: "approve only this capability (repeatable)" },
      seats: { type: "string", value: "N", int: { min: 1, max: 64 }, help: "the most seats it may run at once" },
    },
    async run(ctx) {
      const caps = ctx.strs("cap");
      const seatLimit = ctx.int("seats");
      const grant = await ctx.client().approveFactoryGrant(await idOf(ctx), {
        ...(caps.length > 0 ? { capabilities: caps } : {}),
        ...(seatLimit !== undefined ? { seatLimit } : {}),
      });
      const f = checked(FactoryGrantRead, grant, "a factory with its grant");
      if (ctx.json) ctx.emit(f);
      else {
        const pending = f.pendingCapabilities?.length
          ? inlined`; still pending: ${f.pendingCapabilities.join(", ")}`
          : "";
        // It runs min(declared, limit) seats: a 1-seat host given --seats 4 still runs 1, and the line said only
        // "1 seat(s)" — the limit just set is what changed, so it is named, and why the two differ.
        const limit = f.seatLimit ?? f.seats;
        const why = limit > f.seats ? "; its agent declares fewer" : "";
        const shown = seatLimit !== undefined || limit !== f.seats ? ` (seat limit ${limit}${why})` : "";
        const done = f.changed === false ? "already so: nothing was pending —" : "✔";
        const routed = inlined`factory ${f.name} (${f.id}) is routed on ${list(f.capabilities)} with ${counted(f.seats, "seat")}`;
        ctx.print(`${done} ${routed}${shown}${pending}`);
      }
      return 0;
    },
  },
  {
    path: ["factory", "release"],
    args: { names: "ID", min: 1, max: 1 },
    summary: "return a quarantined factory to rotation: its error window is cleared and its alert resolved",
    options: {},
    async run(ctx) {
      const f = changed(await ctx.client().releaseFactory(await idOf(ctx)));
      if (ctx.json) ctx.emit(f);
      else if (f.changed === false)
        ctx.print(inlined`already ${f.status}: nothing to release — factory ${f.name} (${f.id})`);
      else ctx.print(inlined`✔ factory ${f.name} (${f.id}) is released and ${f.status} again`);
      return 0;
    },
  },
  breakerResetCommand(idOf),
  {
    path: ["factory", "rotate"],
    args: { names: "ID", min: 1, max: 1 },
    summary: "issue a factory a new token; the old one stops working at once",
    details: [
      "Ctrl-C while the rotation is on its way waits for its answer (within --timeout): the new token is printed as",
      "without it, then `✘ ERROR interrupted` (exit 130; under --json the answer with `error`); a request that failed",
      "after it says whether the old token may be refused already and the new one unseen, and to rotate again (under",
      "--json {error, failure}). A second Ctrl-C ends at once.",
      SIGTERM_HELP,
    ],
    options: {},
    async run(ctx) {
      const ref = ctx.positionals[0]!;
      const id = await idOf(ctx);
      // The old token is refused once the coordinator rotates: a new one never shown locks the host out, so Ctrl-C
      // while the rotation is out waits for its answer (commands/secret-interrupt).
      const send = async () =>
        checked(EnrolledRead, await ctx.client().rotateFactoryToken(id), "an enrolled factory with its token");
      const headline = (f: Enrolled) =>
        inlined`✔ Rotated the token of ${f.factory.name} (${f.factoryId}); the old token is refused now.`;
      return sendForSecret(ctx, rotateWords(ref), send, (e) => showToken(ctx, e, headline));
    },
  },
  {
    path: ["factory", "revoke"],
    args: { names: "ID", min: 1, max: 1 },
    summary: "revoke a factory's token; its leases are requeued",
    options: {},
    async run(ctx) {
      const f = changed(await ctx.client().revokeFactoryToken(await idOf(ctx)));
      if (ctx.json) ctx.emit(f);
      else if (f.changed === false)
        ctx.print(
          inlined`already revoked: nothing changed — factory ${f.name} (${f.id}); enroll it again to bring it back`,
        );
      else ctx.print(inlined`✔ factory ${f.name} (${f.id}) is revoked; enroll it again to bring it back`);
      return 0;
    },
  },
  {
    path: ["factory", "rm"],
    args: { names: "ID", min: 1, max: 1 },
    summary: "deregister a factory; its leases are requeued",
    options: {},
    async run(ctx) {
      const id = await idOf(ctx, false);
      const { requeued } = checked(DeregisteredRead, await ctx.client().deregisterFactory(id), "a deregistration");
      // Named as the operator named it, beside its id, as every other factory change says it (the answer has no name).
      const ref = ctx.positionals[0]!;
      const who = ref === id ? id : `${ref} (${id})`;
      if (ctx.json) ctx.emit({ factoryId: id, requeued });
      else ctx.print(inlined`✔ factory ${who} removed; ${counted(requeued, "job")} requeued`);
      return 0;
    },
  },
];
