/**
 * @module cli/commands/watch
 * `gigafactory watch ID`: a job's events, live, one line each
 * (`#seq  HH:MM:SS  type  summary`) or one JSON object per line under --json.
 * Survives disconnects without repeating or losing an event (see job-feed),
 * and ends by itself when the job reaches a terminal stage unless --follow.
 */
import { TERMINAL_STAGES } from "../../core/model.ts";
import type { JobEvent } from "../../shared/http-client.ts";
import type { Command } from "../context.ts";
import { followJobFeed } from "../job-feed.ts";
import { formatClock, truncate } from "../table.ts";

/** 100 chars of summary: one terminal line with the seq, time and type in front. */
const SUMMARY_MAX = 100;

/** The stage a `job.stage` event moved the job to, whichever field name the event uses. */
export function stageOf(event: JobEvent): string | undefined {
  if (event.type !== "job.stage") return undefined;
  const to = event.data.to ?? event.data.stage;
  return typeof to === "string" ? to : undefined;
}

export function isTerminalEvent(event: JobEvent): boolean {
  const stage = stageOf(event);
  return stage !== undefined && (TERMINAL_STAGES as readonly string[]).includes(stage);
}

/** A short human reading of an event's data: `from → to` for stage moves, else its fields as `k=v`. */
export function summarize(event: JobEvent): string {
  const d = event.data;
  const to = stageOf(event);
  if (to !== undefined) {
    const from = typeof d.from === "string" ? `${d.from} → ` : "";
    const why = typeof d.reason === "string" ? ` (${d.reason})` : typeof d.note === "string" ? ` (${d.note})` : "";
    return `${from}${to}${why}`;
  }
  const text = Object.entries(d)
    .filter(([, v]) => v !== undefined && v !== null)
    .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`)
    .join(" ");
  return truncate(text, SUMMARY_MAX);
}

export function eventLine(event: JobEvent): string {
  return `#${event.seq}  ${formatClock(event.at)}  ${event.type}  ${summarize(event)}`.trimEnd();
}

export const watch: Command = {
  path: ["watch"],
  args: { names: "ID", min: 1, max: 1 },
  summary: "follow a job's events live; ends when the job ships, dead-letters or is cancelled",
  options: {
    after: {
      type: "string",
      value: "SEQ",
      int: { min: 0, max: Number.MAX_SAFE_INTEGER },
      help: "start after this seq (default 0: everything)",
    },
    follow: { type: "boolean", help: "keep following after a terminal stage" },
  },
  async run(ctx) {
    const client = ctx.client();
    const id = ctx.positionals[0]!;
    const follow = ctx.flag("follow");
    await followJobFeed(client, id, {
      after: ctx.int("after") ?? 0,
      onEvent(event) {
        if (ctx.json) ctx.emitLine(event);
        else ctx.print(eventLine(event));
        return !follow && isTerminalEvent(event);
      },
      onRetry({ attempt, delayMs, reason }) {
        ctx.note(`… ${reason}; reconnecting in ${(delayMs / 1000).toFixed(1)}s (attempt ${attempt})`);
      },
    });
    return 0;
  },
};
