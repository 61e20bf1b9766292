/**
 * @module cli/commands/factories
 * The fleet: `gigafactory factories` lists it (`gigafactory enroll NAME` adds one: cli/commands/enroll; the changes
 * to one factory are cli/commands/factory-changes), and the host command a factory token goes into. A factory token is
 * shown exactly once (at enroll and rotate): the server keeps only its hash, so the CLI says so next to it.
 */

import { counted } from "../../core/counted.ts";
import type { Enrolled, Factory, FactoryBreaker } from "../../shared/http-client.ts";
import { CAPABILITIES_MAX, capabilityCell } from "../capability-cell.ts";
import type { Command, Ctx } from "../context.ts";
import { checked, EnrolledRead, FactoriesRead } from "../read-answers.ts";
import { formatAge, formatLeft, list, renderTable } from "../table.ts";
import { disconnectedLines, type Link, linkCell, linkWord } from "./factories-link.ts";

/**
 * The BREAKERS cell: each breaker that is not plainly closed, `engine state` — open ones with the time left, closed
 * ones with their run of failures — or `-`. Engine `*` is the factory's default (jobs that name no engine).
 */
export function breakerCell(breakers: readonly FactoryBreaker[] | undefined, now: number): string {
  if (!breakers || breakers.length === 0) return "-";
  return breakers
    .map((b) => {
      if (b.state === "open" && b.openUntil !== undefined)
        return `${b.engine} open (${formatLeft(b.openUntil - now)} left)`;
      if (b.state === "closed") return `${b.engine} closed (${b.consecutiveFailures} failed)`;
      return `${b.engine} ${b.state.replace("_", "-")}`;
    })
    .join(", ");
}

/** The health column: "left (drained) 5m ago" for a factory stopped on purpose, else its health. */
export function healthCell(f: Pick<Factory, "health" | "leftAt">, now: number): string {
  if (f.health !== "left") return f.health;
  return f.leftAt === undefined ? "left (drained)" : `left (drained) ${formatAge(f.leftAt, now)} ago`;
}

export function factoryRows(
  factories: ReadonlyArray<Factory & Link & { breakers?: FactoryBreaker[] }>,
  now: number,
): string[][] {
  return factories.map((f) => [
    f.id,
    f.name,
    f.status,
    // Enrolled but never heard from: its agent has not started yet — not an outage, as `down` would say. Nor is a
    // factory that left: its agent drained and closed cleanly, stopped on purpose (core/departure).
    f.lastHeartbeatAt === undefined ? "never connected" : healthCell(f, now),
    linkCell(f, now),
    `${f.load}/${f.seats}`,
    // Declared but unapproved capabilities are shown beside the routed ones, not in a column of their own:
    // they are the exception, and the table keeps its shape for scripts that read it. Rare ones kept when cut.
    capabilityCell(f.capabilities, f.pendingCapabilities, CAPABILITIES_MAX),
    f.lastHeartbeatAt === undefined ? "never" : `${formatAge(f.lastHeartbeatAt, now)} ago`,
    breakerCell(f.breakers, now),
  ]);
}

/**
 * The footers of the factories out of rotation, each named with why (its `statusReason`: `quarantined by ACTOR`, the
 * automatic quarantine's error rate) and the command that returns it: the count alone said not which, nor why.
 * Out: lines to print (none when every factory is active or revoked).
 */
export function standingLines(
  found: ReadonlyArray<Pick<Factory, "id" | "name" | "status" | "statusReason">>,
): string[] {
  const lines: string[] = [];
  const held = [
    { status: "quarantined", head: "quarantined (error budget or an operator)", verb: "release" },
    { status: "draining", head: "draining (finishing what they hold, given no new work)", verb: "activate" },
  ] as const;
  for (const { status, head, verb } of held) {
    const these = found.filter((f) => f.status === status);
    if (these.length === 0) continue;
    lines.push(
      `\n${counted(these.length, "factory", "factories")} ${head}; return one to work with \`gigafactory factory ${verb} ID\`:`,
    );
    for (const f of these) lines.push(`  ${f.name} (${f.id}): ${f.statusReason ?? "no reason recorded"}`);
  }
  return lines;
}

/**
 * The footer of the breakers that hold work (open, or half-open), and the operator's reset of one whose engine is
 * known fixed: the BREAKERS column said "claude open (2m left)" and nothing of a way to close it before then, where
 * a quarantined factory's footer names its release. Out: lines to print (none when no breaker holds work).
 */
export function breakerLines(found: ReadonlyArray<Pick<Factory, "id" | "name"> & { breakers?: FactoryBreaker[] }>) {
  const holding = found.flatMap((f) =>
    (f.breakers ?? []).filter((b) => b.state !== "closed").map((b) => `  ${f.name} (${f.id}): ${b.engine}`),
  );
  if (holding.length === 0) return [];
  const head = `\n${counted(holding.length, "breaker")} open or half-open; an operator closes one whose engine is fixed`;
  return [`${head} with \`gigafactory factory breaker-reset ID ENGINE\` ('*': the default engine):`, ...holding];
}

export const factories: Command = {
  path: ["factories"],
  args: { names: "", min: 0, max: 0 },
  summary: "list the product's factories",
  options: {},
  async run(ctx) {
    const client = ctx.client();
    // listFactories unwraps `factories`: the check reads the list under the key it came in.
    const found = checked(FactoriesRead, { factories: await client.listFactories() }, "a list of factories").factories;
    // `link`: the LINK column's word, so a script need not rebuild it from `connected` and `disconnectedAt`.
    if (ctx.json) ctx.emit({ factories: found.map((f) => ({ ...f, link: linkWord(f) ?? null })) });
    else if (found.length === 0) ctx.print("no factories; add one with `gigafactory enroll NAME`");
    else
      ctx.print(
        renderTable(
          [
            { header: "ID" },
            { header: "NAME", max: 32 },
            { header: "STATUS" },
            { header: "HEALTH" },
            { header: "LINK" },
            { header: "LOAD/SEATS", align: "right" },
            { header: "CAPABILITIES", max: CAPABILITIES_MAX },
            { header: "LAST HEARTBEAT" },
            // Never cut (cli/table `wrap`): which engine is tripped and until when, for each.
            { header: "BREAKERS", max: 48, wrap: true },
          ],
          factoryRows(found, ctx.io.now()),
          ctx.io.stdoutColumns,
        ),
      );
    if (!ctx.json)
      for (const line of [...standingLines(found), ...breakerLines(found), ...disconnectedLines(found)])
        ctx.print(line);
    const waiting = found.filter((f) => (f.pendingCapabilities ?? []).length > 0);
    if (!ctx.json && waiting.length > 0) {
      // Named one per line: the CAPABILITIES cell is cut at 48 characters, and the count alone said not which.
      ctx.print(
        `\n${counted(waiting.length, "factory", "factories")} declared capabilities nobody approved; they are not routed on until approved:`,
      );
      for (const f of waiting)
        ctx.print(`  ${f.name} (${f.id}): ${list(f.pendingCapabilities)} — \`gigafactory factory approve ${f.id}\``);
    }
    return 0;
  },
};

/**
 * The agent as a host starts it in the gigafactory checkout: the pinned Node 22 running the agent itself, so the PID
 * the host sees is the agent's and a SIGTERM to it drains. `npx gigafactory-agent` ran it as npm's child, which a
 * SIGTERM to that PID never reached (README "Install the agent on a host").
 */
export const AGENT = "node_modules/.bin/node bin/gigafactory-agent.mjs";

/**
 * The host's line for a factory token (`enroll --direct`, `factory rotate`): `enroll --token` stores it in the state
 * dir's config (0600) for a plain `run`. `run --url … --token T` saved nothing: the next plain `run` (a restart)
 * read the rotated-out token, `unauthorized`, exit 3. `grant`: `enroll`'s shell words (`--name N`, `--cap C`…,
 * `--seats N`); none on a rotation, where `enroll --token` keeps the stored ones.
 */
export function agentCommand(url: string, product: string, token: string, grant: readonly string[] = []): string {
  const extra = grant.length > 0 ? ` ${grant.join(" ")}` : "";
  return `${AGENT} enroll --url ${url} --product ${product} --token ${token}${extra} && ${AGENT} run`;
}

/**
 * Prints the token's host command (not under --json), `headline` written from the answer only once it is checked:
 * built before, a foreign answer to `factory rotate` crashed on `e.factory.name` as an `internal` "CLI bug". `grant`:
 * as agentCommand's.
 * @returns the --json document, `{...e, command}` (the caller emits it: commands/secret-interrupt)
 * @throws CliError bad_response — the answer is not an enrolled factory with a token of one shell word
 */
export function showToken(
  ctx: Ctx,
  e: Enrolled,
  headline: (e: Enrolled) => string,
  grant: readonly string[] = [],
): Enrolled & { command: string } {
  checked(EnrolledRead, e, "an enrolled factory with its token");
  const { url, product } = ctx.connection();
  const command = agentCommand(url, product, e.token, grant);
  if (!ctx.json) {
    ctx.print(`${headline(e)}\n\nRun this on the host:\n\n  ${command}\n`);
    ctx.print("The token is shown once: the coordinator keeps only its hash. Rotate it if it is lost.");
  }
  return { ...e, command };
}
