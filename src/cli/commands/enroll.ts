/**
 * @module cli/commands/enroll
 * `gigafactory enroll NAME`: adds a factory by a one-time enrollment code that goes into the command printed for the
 * host, or with --direct enrolls it here and prints its token. The code or token is shown once, so Ctrl-C while its
 * request is out waits for the answer and prints it before ending 130 (143 after SIGTERM;
 * commands/secret-interrupt).
 */

import { counted } from "../../core/counted.ts";
import { Capability, HostName } from "../../shared/api.ts";
import { notACapability, notAFactoryName } from "../../shared/enroll-words.ts";
import { EXIT_USAGE } from "../../shared/fixable-error.ts";
import type { Enrolled } from "../../shared/http-client.ts";
import type { Command } from "../context.ts";
import { CliError, usageError } from "../errors.ts";
import { SIGTERM_HELP } from "../interruption.ts";
import { checked, EnrolledRead, EnrollmentCodeRead } from "../read-answers.ts";
import { inlined } from "../read-answers-ops.ts";
import { formatInstant } from "../table.ts";
import { AGENT, showToken } from "./factories.ts";
import { type SecretWords, sendForSecret } from "./secret-interrupt.ts";

/**
 * What Ctrl-C or SIGTERM while an enrollment code for `name` is minted says: a code made then is shown, or expires
 * unused.
 */
function codeWords(name: string): SecretWords<{ expiresAt: number }> {
  return {
    note: (how) =>
      `${how.by}: an enrollment code for ${name} is being minted; waiting for its answer, which holds the code, ` +
      `shown once; ${how.again} ends at once, and a code it mints is never shown`,
    failure: {
      during: `while an enrollment code for ${name} was being minted`,
      refused: "no code was minted",
      again: "run the command again",
      unknown: "a code may have been minted that nobody has seen (unused, it expires within the hour)",
      unknownFix:
        "run the same command again for a code you see; `gigafactory enrollment-codes` lists the live ones, and " +
        "`gigafactory enrollment-codes revoke ID` ends one nobody holds",
    },
    answered: (c) => ({
      came: inlined`the code for ${name} was minted, and is shown here once (valid until ${formatInstant(c.expiresAt)})`,
      fix: "run the command shown (`command` under --json) on the host before the code expires: nothing shows it again",
    }),
  };
}

/**
 * What Ctrl-C or SIGTERM during `enroll --direct` says: a factory enrolled then has its token shown, or is given a
 * new one.
 */
function directWords(name: string): SecretWords<Enrolled> {
  return {
    note: (how) =>
      `${how.by}: the enrollment of ${name} is on its way; waiting for its answer, which holds the factory's token, ` +
      `shown once; ${how.again} ends at once, and a factory it enrolls has a token nobody has seen`,
    failure: {
      during: `while the enrollment of ${name} was on its way`,
      refused: "no factory was enrolled",
      again: "run the command again",
      unknown: `factory ${name} may have been enrolled, its token never shown`,
      unknownFix:
        // Not revoked: a revoked record keeps the name (re-enrolling under it is what the CLI advises), and rotate
        // refuses it (pass 45 review).
        `see whether \`gigafactory factories\` lists ${name} with a status other than revoked: if it does, ` +
        `\`gigafactory factory rotate ${name}\` ` +
        "gives it a token you see (the one this made, if it made one, was never shown); if not, run the same " +
        "command again",
    },
    answered: (e) => ({
      came: inlined`${e.factory.name} (${e.factoryId}) is enrolled, and its token is shown here once`,
      fix:
        "run the command shown (`command` under --json) on the host: nothing shows the token again " +
        "(`gigafactory factory rotate ID` issues a new one if it is lost)",
    }),
  };
}

/**
 * By default the operator never sees the host's token: a one-time enrollment
 * code (valid an hour) goes into the printed command, and the agent trades it
 * for its own token on the host. `--direct` enrolls here and prints the token.
 */
export const enroll: Command = {
  path: ["enroll"],
  args: { names: "NAME", min: 1, max: 1 },
  summary: "print the one-time command that enrolls a host and starts its agent",
  details: [
    "Ctrl-C while the code (or, with --direct, the enrollment) is on its way waits for its answer (within",
    "--timeout): the code or token is printed as without it, then `✘ ERROR interrupted` (exit 130; under --json the",
    "answer with `error`); a request that failed after it says what may have been made unseen and what to run (under",
    "--json {error, failure}). A second Ctrl-C ends at once.",
    SIGTERM_HELP,
  ],
  options: {
    // Its example is one the agent cannot detect: `os:linux` granted by hand routes linux jobs to a mac that says so.
    cap: {
      type: "string",
      multiple: true,
      value: "C",
      help: "a capability the agent cannot detect, e.g. gpu (repeatable; it detects os:, arch:, node:, has:, engine:)",
    },
    seats: { type: "string", value: "N", int: { min: 1, max: 64 }, help: "jobs it may run at once (default 1)" },
    direct: { type: "boolean", help: "enroll now and print the factory token instead of a one-time code" },
  },
  async run(ctx) {
    const seats = ctx.int("seats");
    // Checked here, as the agent will (shared/api Capability): no code carries them, so the coordinator never saw
    // them — a bad one cost a code and went, unquoted, into the command printed for the host's shell
    // (`--cap "gpu; rm -rf ~"` printed `--cap gpu; rm -rf ~`), where the agent refused it or the shell ran the rest.
    for (const cap of ctx.strs("cap")) {
      if (!Capability.safeParse(cap).success) throw usageError(`--cap ${notACapability(cap)}`, "enroll");
    }
    // Checked as the agent checks its --name (agent/credential-checks assertHostName): one fault, one code and exit.
    const name = ctx.positionals[0]!;
    if (!HostName.safeParse(name).success)
      throw new CliError(
        "bad_name",
        `NAME ${notAFactoryName(name)}`,
        "give the name the host is to have, e.g. build-box-7",
        EXIT_USAGE,
      );
    // What the host's agent is to keep for `run`: the same with a code or a token.
    const grant = [
      "--name",
      name,
      ...ctx.strs("cap").flatMap((c) => ["--cap", c]),
      ...(seats !== undefined ? ["--seats", String(seats)] : []),
    ];
    if (!ctx.flag("direct")) {
      // The code is bound to this host name and seat count: a host that asks for another name is refused, and
      // one that asks for more seats gets these.
      const mint = async () =>
        checked(
          EnrollmentCodeRead,
          await ctx.client().mintEnrollmentCode({ name, seats: seats ?? 1 }),
          "an enrollment code",
        );
      return sendForSecret(ctx, codeWords(name), mint, ({ code, expiresAt }) => {
        const { url, product } = ctx.connection();
        const command = `${AGENT} enroll --url ${url} --product ${product} --code ${code} ${grant.join(" ")} && ${AGENT} run`;
        if (!ctx.json) {
          ctx.print(
            `✔ Enrollment code for ${name}, valid until ${formatInstant(expiresAt)} and usable once.\n\nRun this on the host:\n\n  ${command}\n`,
          );
          ctx.print("The host trades the code for its own token; the token never passes through here.");
        }
        return { name, code, expiresAt, command };
      });
    }
    const asked = { name, capabilities: ctx.strs("cap"), ...(seats !== undefined ? { seats } : {}) };
    const send = async () =>
      checked(EnrolledRead, await ctx.client().enroll(asked), "an enrolled factory with its token");
    const headline = (f: Enrolled) => {
      const caps = f.factory.capabilities.length ? f.factory.capabilities.join(", ") : "no capabilities";
      return `✔ Enrolled ${f.factory.name} (${f.factoryId}): ${caps}; ${counted(f.factory.seats, "seat")}.`;
    };
    return sendForSecret(ctx, directWords(name), send, (e) => showToken(ctx, e, headline, grant));
  },
};
