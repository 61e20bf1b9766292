/**
 * @module agent/close-codes
 * What a closed or refused factory connection means for the agent: try again
 * (with backoff), or stop for good with an `✘ ERROR` the operator can act on.
 * Pure, so every code the coordinator can send is covered by a unit test.
 */
import { constants } from "node:os";
import { EXIT_USAGE, FixableError } from "../shared/fixable-error.ts";
import { redirectText } from "../shared/foreign-answer.ts";
import { isCoordinatorProblem } from "../shared/problem-words.ts";
import { CLOSE } from "../shared/protocol.ts";
import { foreignDetail, jsonOf, problemDetail } from "./connect-refusal.ts";

export { problemDetail } from "./connect-refusal.ts";

/** 3: the factory's credentials are gone (revoked, refused, taken over): a process supervisor must not restart it. */
export const EXIT_CREDENTIALS = 3;

/**
 * The agent's exit codes, for process supervisors: 3 = do not restart (the factory's credentials are gone). A stop
 * request that ends it before its drain finishes exits `signalExitCode`'s 128 + the signal's number instead.
 */
export const EXIT = { ok: 0, error: 1, usage: EXIT_USAGE, credentials: EXIT_CREDENTIALS } as const;

/** The stop request `run --parent-pid` makes when that pid is no longer the agent's parent (agent/parent-watch). */
export const PARENT_EXITED = "parent exited";

/** What can ask the agent to stop: a signal to its pid, or its parent gone (`PARENT_EXITED`). */
export type StopReason = "SIGINT" | "SIGTERM" | "SIGHUP" | typeof PARENT_EXITED;

/**
 * The exit code of a stop request `why` that ended the agent before its drain finished: 128 + the signal's number, as
 * a shell reports a process the signal killed — SIGINT 130, SIGTERM 143, SIGHUP 129 — so a service manager reads
 * which one it was. A parent gone is a hangup of what started the agent, so it reads as SIGHUP's 129 (npm start's own
 * rule, scripts/stop-signals stopExitCode; it was 130, an interrupt nobody sent). The start-up's and the drain's rule.
 */
export function signalExitCode(why: StopReason): number {
  return 128 + constants.signals[why === PARENT_EXITED ? "SIGHUP" : why];
}

/** Reconnect (`why` for the log), or stop for good: the `✘ ERROR` to print, its `exitCode` the process's. */
export type Verdict = { kind: "retry"; why: string } | { kind: "fatal"; error: FixableError };

/**
 * A connection ended for good: the `✘ ERROR` to print; `ended`, what happened in a few words, and `leases`, what
 * becomes of a running job's lease as far as that tells (the agent asks nothing more), for the line each running job
 * ends with (agent/seat-stops: `job_… stopped: the coordinator closed this agent's connection for good (factory token
 * rotated) — …; its lease stays this factory's until it expires, …`). It said `lease lost`, a claim it never checked:
 * a rotated token's lease, or a taken-over factory's, stays the factory's. `leaseMayStay`: false when those words say
 * the lease ended (the jobs requeued), so no restart on this host can report a run it kept (agent/seat-stops).
 */
export class ConnectionEnded extends FixableError {
  readonly ended: string;
  readonly leases: string;
  readonly leaseMayStay: boolean;

  constructor(code: string, what: string, fix: string, ended: Ended, exitCode: number) {
    super(code, what, fix, exitCode);
    this.ended = ended.ended;
    this.leases = ended.leases;
    this.leaseMayStay = ended.leaseMayStay;
  }
}

/**
 * What ended a connection, in a few words; what becomes of a running job's lease; and whether it may still be this
 * factory's (true unless the words say it ended: a rotation, a takeover, or not known) — ConnectionEnded.
 */
type Ended = { ended: string; leases: string; leaseMayStay: boolean };

/** A refused token: revoked (the jobs requeued) or rotated (still leased) — the refusal does not say which. */
export const LEASE_UNKNOWN =
  "whether the coordinator still leases it is not known here: a revoked factory's jobs go back to the queue at once, " +
  "a rotated token's stay leased to it until the lease expires";

const fatal = (code: string, what: string, fix: string, ended: Ended, exitCode = EXIT_CREDENTIALS): Verdict => ({
  kind: "fatal",
  error: new ConnectionEnded(code, what, fix, ended, exitCode),
});

/**
 * A token given to `run --token` is used once and saved nowhere: the next plain `run` (a reboot, systemd) read the
 * old one again and was refused, exit 3. `enroll --token` stores it in the state dir, as `factory rotate`'s line does.
 */
const STORE_TOKEN =
  "store it on this host with `gigafactory-agent enroll --url URL --product P --token gf_…` (add `--state-dir DIR` " +
  "when the agent runs with one), then `gigafactory-agent run`";

const REENROLL = `enroll the host again (\`gigafactory-agent enroll --code gfe_…\`), or, with a current token, ${STORE_TOKEN}`;

/**
 * What the end of this factory's credential means, by the reason the coordinator gives in its `revoke` frame and in
 * the close (rpc/fleet `retiring`: "factory token revoked", "token rotated", "factory deregistered"; a coordinator
 * before pass 34 closed every one with "revoked"). Each was said as a revoke, so an agent whose factory an operator
 * removed or whose token was rotated was told to re-enroll, whichever fixes it.
 */
export function retiredWords(reason: string): { what: string; fix: string } & Ended {
  switch (reason) {
    case "factory deregistered":
      return {
        what: "an operator removed this factory (`gigafactory factory rm`): its token no longer works",
        fix:
          "ask an operator for a new code (`gigafactory enroll NAME`), then run `gigafactory-agent enroll --code " +
          "gfe_…` on this host",
        ended: "factory removed by an operator",
        leases: "its lease ended with the factory: the job goes back to the queue", // admin `deregister` requeues
        leaseMayStay: false,
      };
    case "token rotated":
      return {
        what:
          "an operator rotated this factory's token (`gigafactory factory rotate`): the one this agent holds no " +
          "longer works",
        fix:
          "get the new token from whoever rotated it (`gigafactory factory rotate` printed it once, in the line to run " +
          `here) and ${STORE_TOKEN}`,
        ended: "factory token rotated",
        // A rotation requeues nothing (access/credentials `rotateFactoryToken`): the new token's agent is welcomed with it.
        leases:
          "its lease stays this factory's until it expires, then the job goes back to the queue; the agent started " +
          "with the new token before then resumes it",
        leaseMayStay: true,
      };
    default: {
      const revoked = reason === "factory token revoked";
      return {
        what: `the coordinator revoked this factory (${reason || "no reason given"})`,
        fix: REENROLL,
        ended: "factory revoked",
        // Revoking requeues the factory's jobs (access/credentials `retireFactoryToken`); a close of an older
        // coordinator (plain "revoked", any retirement) or a refused hello ("unauthorized") does not say which it was.
        leases: revoked ? "its lease ended with the token: the job goes back to the queue" : LEASE_UNKNOWN,
        leaseMayStay: !revoked,
      };
    }
  }
}

/** A close after the upgrade succeeded. */
export function closeVerdict(code: number, reason: string): Verdict {
  const why = reason || "no reason given";
  switch (code) {
    case CLOSE.revoked: {
      const words = retiredWords(reason);
      return fatal("revoked", words.what, words.fix, words);
    }
    case CLOSE.replaced:
      return fatal(
        "replaced",
        "another agent connected with this factory's token and took over",
        "run one agent per factory token (enroll each host separately)",
        {
          ended: "another agent took this factory over",
          leases:
            "its lease stays this factory's: the agent that took over resumes it, else the job goes back to the " +
            "queue when the lease expires",
          leaseMayStay: true,
        },
      );
    case CLOSE.protocolError:
      // Exit 1: a newer agent fixes it, so a supervisor may restart this one once it is upgraded.
      return fatal(
        "protocol_error",
        `the coordinator rejected our hello (${why})`,
        "upgrade gigafactory-agent to the coordinator's version",
        {
          ended: "the coordinator rejected this agent's hello",
          leases:
            "its lease stays this factory's until it expires, then the job goes back to the queue; an upgraded agent " +
            "started before then resumes it",
          leaseMayStay: true,
        },
        1,
      );
    default:
      return { kind: "retry", why: `connection closed (${code} ${why})` };
  }
}

/** Of the answer that refused the upgrade, beside its status and body: what its status line and headers said. */
export interface RefusalHeads {
  /** A redirect's target, which the socket does not follow. */
  location?: string;
  /** Its Content-Type, which says whether it can be ours. */
  contentType?: string;
  /** Its reason phrase (`Not Found`), said after the status as the CLI says it (shared/foreign-answer statusWords). */
  statusText?: string;
}

/**
 * The upgrade was answered with an HTTP status instead of 101; a redirect is not followed (the coordinator never
 * redirects: something else answered at --url). `body`: what came of the answer (at most MAX_REFUSAL_BYTES, UTF-8).
 */
export function refusalVerdict(status: number, body: string, heads: RefusalHeads = {}): Verdict {
  const { location, contentType, statusText } = heads;
  if (status >= 300 && status < 400) {
    const why = `connect refused: ${redirectText(status, statusText, location)} (is --url the coordinator's own address?)`;
    return { kind: "retry", why };
  }
  const detail = problemDetail(body, contentType) ?? foreignDetail({ status, statusText, body, contentType });
  const token = status === 401 || status === 403;
  // The coordinator's own problem only (shared/problem-words): an access gateway's 403 page in front of --url stopped
  // the agent for good, telling it to enroll again — which that gateway refuses as well. Another server's is retried.
  if (token && isCoordinatorProblem(jsonOf(body, contentType), contentType)) {
    const code = status === 401 ? "unauthorized" : "forbidden";
    const what = `the coordinator refused this factory's token (${detail})`;
    return fatal(code, what, REENROLL, {
      ended: "the coordinator refused this factory's token",
      leases: LEASE_UNKNOWN,
      leaseMayStay: true,
    });
  }
  // 404 and 5xx: a coordinator mid-deploy, or a proxy in the way — worth retrying, with a hint.
  const hint =
    status === 404 ? " (is the URL a Gigafactory coordinator, and the product right?)" : token ? NOT_OURS_HINT : "";
  return { kind: "retry", why: `connect refused: ${detail}${hint}` };
}

/** A 401 or 403 the coordinator did not write: something between the host and it refuses the host. */
const NOT_OURS_HINT =
  " (not the coordinator's refusal: is a proxy or access gateway in front of --url refusing this host?)";
