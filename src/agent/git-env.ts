/**
 * @module agent/git-env
 * What every git the agent runs (agent/git) is given besides its argv: its environment — no prompt can wait for an
 * answer, no agent credential, the agent's identity for its own commits, an allow-list of transports — and a session
 * of its own, so nothing git starts can ask on the terminal the agent was started from. And the one way a git
 * message is made safe to report: `hideUserinfo`.
 */
import { identityEnv, inheritedEnv } from "./engine-env.ts";
import type { RunAs } from "./engine-user.ts";
import { REDIRECTING_ENV } from "./git-neutral.ts";

export const AGENT_IDENTITY: Readonly<Record<string, string>> = Object.freeze({
  GIT_AUTHOR_NAME: "gigafactory-agent",
  GIT_AUTHOR_EMAIL: "agent@gigafactory.invalid",
  GIT_COMMITTER_NAME: "gigafactory-agent",
  GIT_COMMITTER_EMAIL: "agent@gigafactory.invalid",
});

/** The transports git may use: local paths (the checkpoint remote), git, http(s), ssh. */
export const GIT_ALLOW_PROTOCOL = "file:git:http:https:ssh";

/**
 * The environment of a git run as `as` (the engine's user: the engine's allow-listed environment; undefined: the
 * agent's own, less its credentials), `extra` last. No prompt can wait for an answer, which would hold a job's seat
 * for ever: git's own (`GIT_TERMINAL_PROMPT=0`, no askpass program), ssh's askpass (`SSH_ASKPASS_REQUIRE=never`: no
 * dialog even with a DISPLAY), and an operator's `GIT_SSH_COMMAND` gets `-o BatchMode=yes` appended. What asks on
 * the terminal itself (ssh's host key and password questions, a credential helper reading /dev/tty) finds none: see
 * NO_TERMINAL. An operator's `core.sshCommand` or `GIT_SSH` program is left as it is (overriding it would drop
 * their key or proxy options); without a terminal it cannot prompt either.
 */
export function gitEnv(as: RunAs | undefined, extra: Record<string, string> = {}): Record<string, string> {
  // Never the agent's credentials: a git process is visible to its own user in /proc.
  const inherited = as ? { ...inheritedEnv(process.env), ...identityEnv(as) } : withoutCredentials(process.env);
  for (const k of Object.keys(inherited)) if (REDIRECTING_ENV.test(k)) delete inherited[k];
  const ssh = inherited.GIT_SSH_COMMAND;
  return {
    ...inherited,
    ...(ssh && !/\bBatchMode=yes\b/.test(ssh) ? { GIT_SSH_COMMAND: `${ssh} -o BatchMode=yes` } : {}),
    GIT_TERMINAL_PROMPT: "0",
    GIT_ASKPASS: "",
    SSH_ASKPASS: "",
    SSH_ASKPASS_REQUIRE: "never",
    GIT_ALLOW_PROTOCOL,
    GIT_NO_REPLACE_OBJECTS: "1",
    ...AGENT_IDENTITY,
    ...extra,
  };
}

function withoutCredentials(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env))
    if (v !== undefined && !(k.startsWith("GIGAFACTORY_") && /TOKEN|CODE|SECRET/.test(k))) out[k] = v;
  return out;
}

/**
 * Spawn options that start git as a session leader (setsid): a process without a controlling terminal cannot open
 * /dev/tty, so nothing git starts (ssh, a credential helper) can ask on the agent's terminal and wait there. (A
 * Ctrl-C meant to drain the agent then no longer kills the git commands of the jobs it lets finish, either.)
 */
export const NO_TERMINAL = { detached: true } as const;

/** `scheme://userinfo@` — all of the userinfo: a token is often the user name (`https://<token>@github.com/…`). */
const URL_USERINFO = /(\b[a-z][a-z0-9+.-]*:\/\/)[^\s/?#"'<>]*@/gi;

/**
 * `text` with the userinfo of every URL replaced by `…` (`https://u:pw@host/x` → `https://…@host/x`). A job's repo
 * may carry a password or token, and git's messages (and ours, which quote its argv) go to the job log and to the
 * failure message the coordinator stores and shows to the product's members.
 */
export function hideUserinfo(text: string): string {
  return text.replace(URL_USERINFO, "$1…@");
}
