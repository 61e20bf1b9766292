/**
 * @module cli/commands/alerts
 * `gigafactory alerts [--state open|acknowledged|resolved] [--ack ID]` lists the product's alerts, newest first
 * (default: the live ones, open and acknowledged) — page after page, up to 2000 a state, a longer list said to be
 * cut on stderr —, or acknowledges one (operator; one acknowledged already is said to be); `gigafactory health` shows the
 * product's health (healthy / degraded / stalled, factories, open alerts, the queue — its jobs in a retry's backoff
 * named apart, as they wait only from its end —, last finish). `--json` prints the API's
 * documents. A refusal is the API's problem, e.g. `✘ ERROR conflict: alert al_… is resolved already / …`.
 */
import type { Alert, AlertState } from "../../core/alerts.ts";
import type { ProductHealthAnswer } from "../../durable-objects/coordinator/policies/health-summary.ts";
import { AlertIdParam } from "../../shared/api-alerts.ts";
import type { GigafactoryClient } from "../../shared/http-client.ts";
import type { Command } from "../context.ts";
import { assertIdShape } from "../errors.ts";
import { checked } from "../read-answers.ts";
import { AlertPageRead, AlertRead, HealthRead, inline, inlined, inlineRows } from "../read-answers-ops.ts";
import { formatAge, formatInstant, NONE, renderFields, renderTable } from "../table.ts";
import { repeatedCursor } from "./jobs.ts";

const STATES: readonly AlertState[] = ["open", "acknowledged", "resolved"];
/** Alerts per request: the API's most. */
const PAGE = 200;
/**
 * Pages read per state at most. The list follows the API's cursor: live alerts are one per condition, but an outage
 * raises hundreds (a `starving` one per waiting job), and one page showed the newest 200 and hid the rest — a
 * critical alert older than 200 warnings among them — without a word. Past this bound the cut is said on stderr.
 */
const MAX_PAGES = 10;

async function call<T>(client: GigafactoryClient, method: string, path: string, query = {}): Promise<T> {
  const res = await client.send(method, client.productUrl(path, query));
  return (await res.json()) as T;
}

/** One state's alerts, newest first, page after page (at most MAX_PAGES); `more` when some were left unread. */
async function readState(client: GigafactoryClient, state: AlertState): Promise<{ alerts: Alert[]; more: boolean }> {
  const alerts: Alert[] = [];
  let cursor: string | undefined;
  const seen = new Set<string>();
  for (let page = 0; page < MAX_PAGES; page++) {
    const q = { state, limit: PAGE, ...(cursor ? { cursor } : {}) };
    const answer = await call<{ alerts: Alert[]; nextCursor?: string }>(client, "GET", "/alerts", q);
    const got = checked(AlertPageRead, answer, "a page of alerts");
    for (const a of got.alerts) alerts.push(a); // not push(...): one argument per alert overflows past ~125,000
    cursor = got.nextCursor;
    if (!cursor) return { alerts, more: false };
    // A cursor handed out twice read the same page again up to MAX_PAGES, then said 2000 alerts were cut.
    if (seen.has(cursor)) throw repeatedCursor(cursor, "the list");
    seen.add(cursor);
  }
  return { alerts, more: true };
}

/**
 * Whether alert `id` is acknowledged already, before `--ack` acknowledges it: the ack is idempotent and answers the
 * alert either way, so "✔ acknowledged … by ana" was printed again for an alert ana had acknowledged last week. One
 * page of the acknowledged alerts (live ones: one per condition), read first; an alert past it counts as not.
 * Best effort: a read that fails or is not a page (the ack's own answer says what is wrong) counts as not either.
 */
async function wasAcknowledged(client: GigafactoryClient, id: string): Promise<boolean> {
  try {
    const answer = await call<{ alerts: Alert[] }>(client, "GET", "/alerts", { state: "acknowledged", limit: PAGE });
    return AlertPageRead.safeParse(answer).data?.alerts.some((a) => a.id === id) ?? false;
  } catch {
    return false;
  }
}

/**
 * The alerts as a table: id, state, severity, kind, subject, age, then the message whole — its how-to-fix half
 * (`webhook_failing`'s "check the receiver at HOST, then redrive") comes last and was cut at 80 characters; on a
 * terminal `terminal` columns wide it goes on under the row (cli/table `wrap`).
 */
export function formatAlerts(alerts: readonly Alert[], now: number, terminal?: number): string {
  if (alerts.length === 0) return "no alerts";
  return renderTable(
    [
      { header: "ID" },
      { header: "STATE" },
      { header: "SEVERITY" },
      { header: "KIND" },
      { header: "SUBJECT", max: 40 },
      { header: "OPENED", align: "right" },
      { header: "MESSAGE", max: 80, wrap: true },
    ],
    inlineRows(
      alerts.map((a) => [a.id, a.state, a.severity, a.kind, a.subject, formatAge(a.openedAt, now), a.message]),
    ),
    terminal,
  );
}

/**
 * "3 · 1 in retry backoff · longest wait 61m": every queued job, then those waiting out a retry's backoff — work
 * that does not wait (nor can stall the product) before the backoff ends —, then how long the longest wait of the
 * rest has lasted. An "oldest 5h" read from a job in backoff sent an operator after a stall that was not one.
 */
function queuedText(h: ProductHealthAnswer, now: number): string {
  const parts = [String(h.queued)];
  if (h.inBackoff > 0) parts.push(`${h.inBackoff} in retry backoff`);
  if (h.oldestQueuedAt !== null) parts.push(`longest wait ${formatAge(h.oldestQueuedAt, now)}`);
  return parts.join(" · ");
}

type FactoryCounts = ProductHealthAnswer["factories"];

/**
 * "2 ok · 0 degraded (1 of these disconnected) · 1 down · 1 left": of ok + degraded, those whose link ended (no live
 * socket, not polling: no work reaches them, though their heartbeats turn them down only ~30 s later), and left
 * (stopped on purpose) named apart from down — each only when there are some (an older coordinator says neither).
 */
function factoriesText(f: Pick<FactoryCounts, "ok" | "degraded" | "down"> & Partial<FactoryCounts>): string {
  const cut = f.disconnected ? ` (${f.disconnected} of these disconnected)` : "";
  return `${f.ok} ok · ${f.degraded} degraded${cut} · ${f.down} down${f.left ? ` · ${f.left} left` : ""}`;
}

export function formatHealth(h: ProductHealthAnswer, now: number): string {
  const f = h.factories;
  const a = h.openAlerts;
  return renderFields([
    ["status", inline(h.status)],
    // Left: stopped on purpose (drained): named apart from down, and only when there are some.
    ["factories", factoriesText(f)],
    ["open alerts", `${a.total} (${a.critical} critical · ${a.warning} warning · ${a.info} info)`],
    ["queued", queuedText(h, now)],
    ["building", String(h.building)],
    ["last shipped", h.lastFinishedAt ? formatAge(h.lastFinishedAt, now) : NONE],
    [
      "thresholds",
      `stuck ${h.thresholds.stuckAfterMinutes} min · starving ${h.thresholds.starvingAfterMinutes} min · ` +
        `stalled 2 × ${h.thresholds.expectedFinishIntervalMinutes} min`,
    ],
  ]);
}

export const alertCommands: Command[] = [
  {
    path: ["alerts"],
    args: { names: "", min: 0, max: 0 },
    summary: "list alerts (default: open and acknowledged), or acknowledge one with --ack ID (operator)",
    options: {
      // Checked by the parser (cli/args `choices`): a typo gets its "did you mean", as every option's does.
      state: { type: "string", value: "STATE", choices: STATES, help: "only alerts in this state" },
      ack: { type: "string", value: "ID", help: "acknowledge this alert: it stays live until its condition clears" },
    },
    async run(ctx) {
      const client = ctx.client();
      const ack = ctx.str("ack");
      if (ack !== undefined) {
        assertIdShape(
          AlertIdParam,
          ack,
          "an alert id (al_…)",
          "copy one from the ID column of `gigafactory alerts` (`--state resolved` lists the ended ones)",
        );
        const already = await wasAcknowledged(client, ack);
        const alert = checked(
          AlertRead,
          await call<Alert>(client, "POST", `/alerts/${encodeURIComponent(ack)}/ack`),
          "an alert",
        );
        if (ctx.json) ctx.emit(alert);
        else if (already) {
          const at = alert.acknowledgedAt === undefined ? "" : ` at ${formatInstant(alert.acknowledgedAt)}`;
          // No ✔: nothing happened now (as `serial freeze`, `lessons archive` and `budget pause` say a no-op).
          ctx.print(
            inlined`already acknowledged — ${alert.id} (${alert.kind} ${alert.subject}) by ${alert.acknowledgedBy ?? "?"}` +
              `${at}: nothing changed`,
          );
        } else
          ctx.print(
            inlined`✔ acknowledged ${alert.id} (${alert.kind} ${alert.subject}) by ${alert.acknowledgedBy ?? "?"}`,
          );
        return 0;
      }
      const state = ctx.str("state");
      const states = state ? [state as AlertState] : (["open", "acknowledged"] as const);
      const reads = await Promise.all(states.map((s) => readState(client, s)));
      // An alert acknowledged between the two states' reads is in both: listed once.
      const byId = new Map(reads.flatMap((r) => r.alerts).map((a) => [a.id, a]));
      const alerts = [...byId.values()].sort((a, b) => (a.id < b.id ? 1 : -1));
      if (ctx.json) ctx.emit({ alerts });
      else ctx.print(formatAlerts(alerts, ctx.io.now(), ctx.io.stdoutColumns));
      states.forEach((s, i) => {
        if (reads[i]?.more)
          ctx.note(
            `only the newest ${PAGE * MAX_PAGES} ${s} alerts are listed: GET …/alerts?state=${s} pages on`,
            true,
          );
      });
      return 0;
    },
  },
  {
    path: ["health"],
    args: { names: "", min: 0, max: 0 },
    summary: "the product's health: healthy, degraded or stalled, with factories, the queue and open alerts",
    options: {},
    async run(ctx) {
      const h = checked(
        HealthRead,
        await call<ProductHealthAnswer>(ctx.client(), "GET", "/health"),
        "a health summary",
      );
      if (ctx.json) ctx.emit(h);
      else ctx.print(formatHealth(h, ctx.io.now()));
      return 0;
    },
  },
];
