/**
 * @module agent/agent-exit
 * The agent process's last step, whichever way it ends (drained, a second signal, a fatal close, a command's end):
 * what it started must not outlive it. Its engines are stopped by their seats (agent/seat-run-end `forceStop`); the
 * git commands still running are killed here, with all they started — a checkpoint push to a remote that hangs, left
 * by a drain that ran out of time, ran on orphaned after the agent exited, past every bound (agent/git-bounds: those are
 * this process's timers), and a sandboxed one dies with it anyway (bwrap --die-with-parent).
 */
import { killRunningGit } from "./git-bounds.ts";

/** Kill the git commands still running, then exit with `process.exitCode`. Never returns. */
export function exitAgent(): never {
  killRunningGit();
  process.exit();
}
