/**
 * @module agent/git-remote
 * The git commands that talk to a remote — a mirror's clone and fetch, a checkpoint's fetch and push (agent/workspace,
 * agent/workspace-resume, agent/checkpoint) — never wait for ever. A remote that accepts the connection and then never
 * answers (or stops answering mid-transfer) held the job's seat with no end, and a fetch the mirror's lock with it, so
 * every other job of that repository on the host waited too: neither git nor curl nor ssh bounds a silent peer by
 * default (no `http.lowSpeedTime`; ssh's `ServerAliveInterval` is off; `git://` has nothing). Here the command runs
 * with `--progress`, so a transfer that moves keeps writing on stderr, and is stopped after REMOTE_STALL_MS without a
 * byte on stdout or stderr — and, as it may keep trickling, after GIT_REMOTE_TIMEOUT_MS in all (agent/git-bounds).
 */
import { type GitOptions, git } from "./git.ts";
import { GIT_REMOTE_TIMEOUT_MS } from "./git-bounds.ts";

/**
 * 5 min: how long a command that talks to a remote may go without a word. A transfer that moves writes its progress
 * about once a second; no phase of a clone, fetch or push is silent for minutes.
 */
export const REMOTE_STALL_MS = 5 * 60_000;
let remoteStallMs = REMOTE_STALL_MS;

/** Set the bound `gitRemote` uses, ms (the agent keeps REMOTE_STALL_MS; tests shorten it to see a stall end). */
export function setRemoteStallMs(ms: number): void {
  remoteStallMs = ms;
}

/**
 * `git <command> --progress args…` (clone, fetch, push: `--progress` beats their `-q`) → stdout, as agent/git `git`;
 * stopped, with all it started, after the stall bound without output: a GitError code `git_stalled` ("stopped after
 * N s without a word"); or after GIT_REMOTE_TIMEOUT_MS in all (unless `opts.timeoutMs`): a GitError code `git_timeout`.
 */
export function gitRemote(args: readonly string[], opts: GitOptions = {}): Promise<string> {
  const [command, ...rest] = args;
  return git([command as string, "--progress", ...rest], {
    stallMs: remoteStallMs,
    timeoutMs: GIT_REMOTE_TIMEOUT_MS,
    ...opts,
  });
}
