/**
 * @module agent/state-lock
 * One agent per state dir. Two `run`s on one state dir share its factory token: the coordinator keeps one
 * connection per factory, so the second one's hello replaced the first — a healthy agent ended with `✘ ERROR
 * replaced` (exit 3, "do not restart"), and a wrongly configured newcomer took the factory over. And an `enroll` into
 * the state dir of a running agent rewrites the token under it. So both take `<state dir>/agent.pid` first
 * (shared/pid-lock: a live agent's pid, removed at exit; a lock left by a crash, a `kill -9` or a reboot is stale and
 * taken over), and a second one is refused at once, before it connects or spends an enrollment code.
 */
import path from "node:path";
import { EXIT_USAGE, FixableError } from "../shared/fixable-error.ts";
import { takePidLock } from "../shared/pid-lock.ts";
import { ensurePrivateDir, stateDirUnusable } from "./state.ts";

export const STATE_LOCK_FILE = "agent.pid";

/**
 * A command line of this agent: `node …/bin/gigafactory-agent.mjs run …`, `…/.bin/gigafactory-agent run …`, or the
 * process title it sets when a token is on its command line (`gigafactory-agent run`). Not `~/.gigafactory-agent/…`,
 * the default state dir, in some other program's arguments.
 */
const AGENT_COMMAND = /gigafactory-agent(\.mjs)?( |$)/;

/**
 * Takes the state dir's lock for this process (creating the dir, 0700, when missing) until it exits; `command` names
 * what this process is about to do, for the refusal. Returns the release function.
 * @throws FixableError `state_in_use` (exit 2) — another live agent holds it; `state_dir_unusable` (exit 2) — this
 *   user cannot create or write it.
 */
export function lockStateDir(stateDir: string, command: "run" | "enroll"): () => void {
  ensurePrivateDir(stateDir);
  let taken: ReturnType<typeof takePidLock>;
  try {
    taken = takePidLock(path.join(stateDir, STATE_LOCK_FILE), (c) => AGENT_COMMAND.test(c));
  } catch (err) {
    throw stateDirUnusable(stateDir, err); // a dir this user may not write in (made 0700 by someone else)
  }
  if (taken.ok) return taken.release;
  const who = taken.owner ? `another agent (pid ${taken.owner.pid})` : "another agent";
  const why = command === "run" ? "" : " (enrolling would replace its factory token)";
  throw new FixableError(
    "state_in_use",
    `${who} is ${taken.owner ? "running" : "starting"} with state dir ${stateDir}${why}`,
    `stop it first${taken.owner ? ` (\`kill ${taken.owner.pid}\` drains it)` : ""}, or use another --state-dir`,
    EXIT_USAGE,
  );
}
