/**
 * @module agent/wip-checkpointer
 * A run's checkpoint cadence: every `--checkpoint-interval` while the engine
 * works, and once more at the end (or before giving the job back), commit the
 * workspace (agent/checkpoint), push it to this lease's `gf/wip/<jobId>-e<epoch>`
 * and tell the coordinator `progress {checkpoint: {branch, sha}}` — which it keeps
 * across requeues, so the next holder resumes from there. Once that is recorded,
 * the branch this run resumed from (an earlier epoch's) is deleted. Checkpoints never overlap
 * (one chain), and a tick while one is in flight is skipped, not queued: a checkpoint slower than the interval
 * (a big workspace, a slow remote) must not pile up a backlog that runs back to back. A failed one is logged and
 * told to the operator (`checkpoint.failed`), never fatal: the engine's work is still on disk and the next
 * interval tries again — except the final one, whose failure to commit is kept (`finalError`) for the report.
 */
import type { Checkpoint } from "../core/model.ts";
import { checkpointMessage, pushCheckpoint, retireBranch, type Snapshot, snapshot } from "./checkpoint.ts";
import type { Workspace } from "./workspace.ts";

export type CheckpointBody = Omit<Checkpoint, "at">;

export interface WipOptions {
  ws: Workspace;
  jobId: string;
  attempt: number;
  /** Tell the coordinator (a fenced progress frame); false = not delivered, try again next time. */
  announce: (checkpoint: CheckpointBody) => Promise<boolean>;
  /** A line for the job log. */
  note: (text: string) => void;
  /** True once the job is abandoned: its work must not be pushed any more. */
  stopped: () => boolean;
  /**
   * An operator warning: `checkpoint.failed` once per distinct failure until a checkpoint succeeds again;
   * `checkpoint.incomplete` once per nested repository left out of the checkpoint (agent/embedded-repos).
   */
  warn?: (event: "checkpoint.failed" | "checkpoint.incomplete", text: string) => void;
  /** The git steps (agent/checkpoint); tests replace them to hold a checkpoint in flight. */
  steps?: { snapshot?: typeof snapshot; push?: typeof pushCheckpoint };
}

export class WipCheckpointer {
  /** The last checkpoint commit of this run (the next one builds on it). */
  lastSha: string | undefined;
  /** The last checkpoint pushed, for the final report. */
  current: CheckpointBody | undefined;
  /**
   * Why the final checkpoint could not commit the workspace (undefined: it did, or was not taken): the engine's
   * last work is then in no commit, so neither in diff.patch nor in a checkpoint (agent/seat-runner reports it).
   */
  finalError: string | undefined;
  /** A final checkpoint committed the workspace: another would be an empty commit, push and announcement more. */
  finalCommitted = false;
  private pushedSha: string | undefined;
  private announcedSha: string | undefined;
  private retired = false;
  private chain: Promise<void> = Promise.resolve();
  /** Checkpoints queued or running: a tick while this is non-zero is skipped. */
  private pending = 0;
  /** The last failure warned of, so a failure repeated every interval is one warning, not one per tick. */
  private warned: string | undefined;
  /** Nested repositories already noted (named once, not every interval). */
  private noted = new Set<string>();
  private timer: ReturnType<typeof setInterval> | undefined;
  private readonly opts: WipOptions;

  constructor(opts: WipOptions) {
    this.opts = opts;
  }

  start(intervalMs: number): void {
    this.stop();
    this.timer = setInterval(() => {
      if (this.pending === 0) void this.take(false);
    }, intervalMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Queue a checkpoint after any in flight; `final` always commits and leaves the workspace clean at it. */
  take(final: boolean): Promise<void> {
    this.pending += 1;
    this.chain = this.chain
      .then(() => this.once(final))
      .finally(() => {
        this.pending -= 1;
      });
    return this.chain;
  }

  /** Whether a checkpoint is queued or running. */
  get busy(): boolean {
    return this.pending > 0;
  }

  /**
   * Commit if anything changed; then make sure the newest commit is pushed and the
   * coordinator told — a push or announcement that failed (connection down) is
   * retried on the next tick even when the files have not changed since.
   */
  private async once(final: boolean): Promise<void> {
    const { ws, jobId, attempt, note } = this.opts;
    if (this.opts.stopped()) return;
    let committed = false;
    try {
      const snap = await (this.opts.steps?.snapshot ?? snapshot)(
        ws,
        this.lastSha,
        checkpointMessage(jobId, attempt),
        final,
      );
      if (snap.changed) this.lastSha = snap.sha;
      committed = true;
      if (final) {
        this.finalError = undefined;
        this.finalCommitted = true;
      }
      this.noteFindings(snap);
      const sha = this.lastSha;
      // Abandoned while git ran: push and announce nothing more (the coordinator fences it, but a push is not fenced).
      if (!sha || this.opts.stopped()) return;
      if (this.pushedSha !== sha) {
        const { branch, target } = await (this.opts.steps?.push ?? pushCheckpoint)(ws, sha);
        this.pushedSha = sha;
        this.current = { branch, sha, note: `attempt ${attempt}${final ? " (final)" : ""}` };
        note(`checkpoint ${sha.slice(0, 12)} pushed to ${branch} on ${target === "origin" ? "the repo" : target}`);
      }
      if (this.opts.stopped()) return;
      if (this.current && this.announcedSha !== sha && (await this.opts.announce(this.current)))
        this.announcedSha = sha;
      // The coordinator now names this run's branch: the one it resumed from is nobody's any more.
      if (this.announcedSha && ws.resumedBranch && !this.retired) {
        this.retired = true;
        const where = await retireBranch(ws, ws.resumedBranch);
        if (where.length > 0) note(`retired the earlier checkpoint branch ${ws.resumedBranch}`);
      }
      this.warned = undefined;
    } catch (err) {
      const message = (err as Error).message;
      note(`checkpoint failed: ${message}`);
      if (final && !committed) this.finalError = message;
      if (this.warned !== message) this.opts.warn?.("checkpoint.failed", `checkpoint failed: ${message}`);
      this.warned = message;
    }
  }

  /** Say once what a snapshot took specially: nested repositories, what it skipped, stale locks it removed. */
  private noteFindings(snap: Snapshot): void {
    const fresh = (snap.embedded ?? []).filter((p) => !this.noted.has(p));
    for (const p of fresh) this.noted.add(p);
    if (fresh.length > 0)
      this.opts.note(`nested repositories captured as files (their .git skipped): ${fresh.join(", ")}`);
    const left = (snap.skipped ?? []).filter((p) => !this.noted.has(p));
    for (const p of left) this.noted.add(p);
    if (left.length > 0) {
      this.opts.note(`not in the checkpoint: ${left.join("; ")}`);
      this.opts.warn?.("checkpoint.incomplete", `not in the checkpoint: ${left.join("; ")}`);
    }
    if (snap.clearedLocks?.length) this.opts.note(`removed stale git locks: ${snap.clearedLocks.join(", ")}`);
  }
}
