/**
 * @module cli/commands/job
 * `gigafactory job ID`: everything an operator asks about one job — where it
 * is, who holds it, what it needs, how its attempts went — and its runs.
 * Under --json: `{ job, runs }`, the API's own records. Factories are shown by name (as fleet, explain and the
 * dashboard show them), read from the fleet list alongside; an id stays where the list cannot be read or no longer
 * holds it (a factory deregistered since).
 */
import { deadLetterFix } from "../../core/waiting-fix.ts";
import type { Job, Run } from "../../shared/http-client.ts";
import type { JobOnRead } from "../../shared/responses.ts";
import type { Command } from "../context.ts";
import { factoryNamer, nameWaitMs } from "../factory-names.ts";
import { fleetRead, type HolderLink, holderLinkText } from "../holder-link.ts";
import { checked, JobRead, RunsRead } from "../read-answers.ts";
import { runSpanText } from "../run-span.ts";
import {
  formatAge,
  formatInstant,
  formatLeft,
  list,
  NONE,
  oneLine,
  orNone,
  renderFields,
  renderTable,
} from "../table.ts";
import { waitingLines } from "../waiting.ts";
import { budgetText, estimatedField, jobUsd, spendText, spentText } from "./job-spend.ts";

function checkpointText(job: Job): string {
  const c = job.checkpoint;
  if (!c) return NONE;
  const where = [c.branch, c.sha ? `@ ${c.sha.slice(0, 12)}` : undefined].filter(Boolean).join(" ");
  return [where || undefined, c.note ? `"${c.note}"` : undefined].filter(Boolean).join(" ") || NONE;
}

function resultText(r: Job["lastResult"] | Run["result"]): string {
  if (!r) return NONE;
  const rc = r.rc === undefined ? "" : ` rc=${r.rc}`;
  return `${r.outcome}${rc}${r.message ? `: ${r.message}` : ""}`;
}

/** A time of day, UTC to the second ("18:38:54Z"), as the STARTED column's instants read. */
const utcClock = (at: number): string => {
  const t = formatInstant(at);
  return t.endsWith("Z") ? t.slice(11) : t;
};

/** `at` and `end` (ms) as times of day, or as whole instants where they fall on different UTC days. */
function clocksOf(at: number, end: number): [string, string] {
  const apart = formatInstant(at).slice(0, 10) !== formatInstant(end).slice(0, 10);
  return apart ? [formatInstant(at), formatInstant(end)] : [utcClock(at), utcClock(end)];
}

/**
 * A run's RESULT. A lease expiry says what its holder was last seen doing, and when: the link lost ("gpu-1 lost its
 * link at T"), else its last heartbeat ("gpu-1's last heartbeat at T" — long before the expiry, the host went silent;
 * just before it, it was up and did not renew). "timeout: lease expired" alone read like the job's own time limit,
 * and nothing said the host had gone (the outcome word stays: scripts read it). A beat a day before reads as a date.
 */
function runResultText(
  r: { result?: Run["result"]; endedAt?: number; linkLostAt?: number | null; lastHeartbeatAt?: number | null },
  by: string,
) {
  const lost = r.linkLostAt;
  const beat = r.lastHeartbeatAt;
  if (r.result?.outcome !== "timeout" || r.endedAt === undefined) return resultText(r.result);
  if (typeof lost === "number") {
    return `timeout: ${by} lost its link at ${utcClock(lost)}; its lease expired at ${utcClock(r.endedAt)}`;
  }
  if (typeof beat !== "number") return resultText(r.result);
  const [at, end] = clocksOf(beat, r.endedAt);
  return `timeout: ${by}'s last heartbeat at ${at}; its lease expired at ${end}`;
}

/** "preempted by X at T" while the evicted job waits (the marks clear at its next assignment). */
function preemptedField(job: Job): Array<[string, string]> {
  if (!job.preemptedBy) return [];
  return [["preempted", `by ${job.preemptedBy} at ${formatInstant(job.preemptedAt ?? job.updatedAt)}`]];
}

export function renderJob(
  job: Job & Partial<JobOnRead>,
  runs: readonly Run[],
  now: number,
  terminal?: number,
  names: ReadonlyMap<string, string> = new Map(),
  links: ReadonlyMap<string, HolderLink> = new Map(),
): string {
  // A name two factories share (a host revoked and enrolled again under it) is said with the id: runs on each read
  // as the same "box-2".
  const named = factoryNamer(names);
  const usd = jobUsd(job, runs);
  const holder = job.holderFactoryId;
  // A lease past its end is held until the reaper's next sweep (each minute): "expires in 0s" read as still live.
  const end = job.leaseExpiresAt;
  const ends =
    end === undefined
      ? ""
      : end > now
        ? ` (expires in ${formatLeft(end - now)})`
        : ` (expired ${formatAge(end, now)} ago)`;
  // Its link beside it (cli/holder-link): a holder killed -9 read as live until its lease ran out.
  const link = holder ? holderLinkText(links.get(holder), now) : undefined;
  const lease = holder
    ? `${names.get(holder) ?? ""}${names.has(holder) ? " " : ""}${holder}${ends}${link ? ` — ${link}` : ""}`
    : NONE;
  const fields: Array<[string, string]> = [
    ["stage", job.stage],
    ["priority", job.priority],
    ["kind", job.kind + (job.parentId ? ` (child of ${job.parentId})` : "")],
    ["requires", list(job.requires)],
    ["prefers", list(job.prefers)],
    ["engine", orNone(job.engine)],
    ["repo", orNone(job.repo)],
    ["budget", budgetText(job, usd.budget)],
    ["spent", spentText(job, runs)],
    ...estimatedField(usd), // of the spend, what is an estimate at settings prices (core/price-estimate)
    ["deps", job.deps.length ? `${job.deps.join(",")} (${job.depsMode})` : NONE],
    ["attempt", `${job.attempt}/${job.maxAttempts}`],
    ["lease epoch", String(job.leaseEpoch)],
    ["holder", lease],
    ["checkpoint", checkpointText(job)],
    ["progress", job.progress ? `${job.progress.pct ?? "?"}% ${job.progress.note ?? ""}`.trim() : NONE],
    ["last result", resultText(job.lastResult)],
    ...preemptedField(job),
    ["reviews", job.reviews?.length ? job.reviews.map((r) => `${r.reviewer}:${r.verdict}`).join(", ") : NONE],
    ["created", `${formatInstant(job.createdAt)} (${formatAge(job.createdAt, now)} ago)`],
    ["updated", `${formatInstant(job.updatedAt)} (${formatAge(job.updatedAt, now)} ago)`],
  ];
  const runTable =
    runs.length === 0
      ? "  no runs yet"
      : renderTable(
          [
            { header: "ATTEMPT", align: "right" },
            { header: "FACTORY" },
            { header: "EPOCH", align: "right" },
            { header: "ENGINE" },
            { header: "STARTED" },
            { header: "DURATION", align: "right" },
            { header: "SPENT", align: "right" },
            // Never cut (cli/table `wrap`): a failed run's message ends with why, as the engine said it.
            { header: "RESULT", max: 60, wrap: true },
          ],
          runs.map((r, i) => [
            String(r.attempt),
            named(r.factoryId),
            String(r.leaseEpoch),
            orNone(r.engine),
            formatInstant(r.startedAt),
            runSpanText(r), // a lease expiry's run: to its last sign of life (cli/run-span)
            spendText(r.spend, usd.runs[i], usd.runsEstimated[i]),
            runResultText(r, named(r.factoryId)),
          ]),
          terminal,
        );
  // The waiting reason of a failed job carries its lastResult, already the "last result" field above.
  // A dead-lettered job waits for nothing (no reason), yet it is not over for good: say what runs it again, as a
  // watch's ending line does (cli/event-text endingNote). A newcomer found a bare "—" with no next step (pass 41).
  const waiting =
    waitingLines(job.waitingReason, now, ["lastResult"], job.id) ||
    (job.stage === "dead_letter"
      ? `Ended in dead_letter: its attempts are used up\n  fix: ${deadLetterFix(job.id)}`
      : "");
  return `${job.id}  ${oneLine(job.title)}\n${renderFields(fields)}${waiting ? `\n\n${waiting}` : ""}\n\nRUNS\n${runTable}`;
}

export const job: Command = {
  path: ["job"],
  args: { names: "ID", min: 1, max: 1 },
  jobIdArg: true,
  summary: "show one job in detail, with its runs",
  options: {},
  async run(ctx) {
    const client = ctx.client();
    const id = ctx.positionals[0]!;
    const [found, runs] = await Promise.all([client.getJob(id), client.listRuns(id)]);
    checked(JobRead, found, "a job");
    checked(RunsRead, runs, "a list of runs");
    if (ctx.json) ctx.emit({ job: found, runs });
    else {
      // After the job's reads: a job that does not exist costs no fleet read, nor does one no factory touched.
      const named = runs.length > 0 || Boolean(found.holderFactoryId);
      const fleet = named ? await fleetRead(client, nameWaitMs(ctx.io.env)) : undefined;
      ctx.print(renderJob(found, runs, ctx.io.now(), ctx.io.stdoutColumns, fleet?.names, fleet?.links));
    }
    return 0;
  },
};
