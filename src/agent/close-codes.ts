/**
 * @module agent/close-codes
 * What a closed or refused factory connection means for the agent: try again
 * (with backoff), or stop for good with an `✘ ERROR` the operator can act on.
 * Pure, so every code the coordinator can send is covered by a unit test.
 */
import { constants } from "node:os";
import { EXIT_USAGE, FixableError } from "../shared/fixable-error.ts";
import { foreignAnswerText, foreignJsonCharset, redirectText, statusWords } from "../shared/foreign-answer.ts";
import { isCoordinatorProblem, namelessProblemText, problemWordsOf } from "../shared/problem-words.ts";
import { CLOSE } from "../shared/protocol.ts";
import { MAX_REFUSAL_BYTES } from "./connect-refusal.ts";

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
 * a rotated token's lease, or a taken-over factory's, stays the factory's.
 */
export class ConnectionEnded extends FixableError {
  readonly ended: string;
  readonly leases: string;

  constructor(code: string, what: string, fix: string, ended: Ended, exitCode: number) {
    super(code, what, fix, exitCode);
    this.ended = ended.ended;
    this.leases = ended.leases;
  }
}

/** What ended a connection, in a few words, and what becomes of a running job's lease (ConnectionEnded). */
type Ended = { ended: string; leases: string };

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
      };
    default:
      return {
        what: `the coordinator revoked this factory (${reason || "no reason given"})`,
        fix: REENROLL,
        ended: "factory revoked",
        // Revoking requeues the factory's jobs (access/credentials `retireFactoryToken`); a close of an older
        // coordinator (plain "revoked", any retirement) or a refused hello ("unauthorized") does not say which it was.
        leases:
          reason === "factory token revoked"
            ? "its lease ended with the token: the job goes back to the queue"
            : LEASE_UNKNOWN,
      };
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

/**
 * `code: words` of a JSON refusal (in UTF-8, as JSON is): its detail, else another server's own words (a title,
 * `{"error": "…"}`, `{"message": "…"}`: shared/problem-words), the code only when of the API's shape and not the words
 * themselves; undefined for a body that is not JSON or names no problem.
 */
export function problemDetail(body: string, contentType?: string): string | undefined {
  const p = jsonOf(body, contentType);
  const words = problemWordsOf(p);
  if (words === undefined) return undefined;
  const code = (p as { code?: unknown }).code;
  return typeof code === "string" && API_CODE.test(code) && code !== words ? `${code}: ${words}` : words;
}

/** The body parsed, when it is JSON in UTF-8; undefined otherwise. */
function jsonOf(body: string, contentType: string | undefined): unknown {
  if (foreignJsonCharset(contentType) !== undefined || body.trim() === "") return undefined;
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return undefined; // not JSON: a foreign page
  }
}

/** A problem's `code` as the API writes them (snake_case, at most 64 characters): another server's is not printed. */
const API_CODE = /^[a-z][a-z0-9_]{0,63}$/;

/**
 * Any other refusal said as what it was (shared/foreign-answer), not echoed: a wrong --url's web server answered its
 * HTML page, and 200 characters of its markup were the reason. `HTTP <status> <reason>` alone for an empty body.
 */
function foreignDetail(a: { status: number; statusText?: string; body: string; contentType?: string }): string {
  const { status, statusText, body, contentType } = a;
  if (body.trim() === "") return statusWords(status, statusText);
  const bytes = Buffer.byteLength(body);
  // JSON naming no problem (`{}`): said so, not quoted as a page's text would be.
  if (jsonOf(body, contentType) !== undefined) return namelessProblemText({ status, statusText, contentType, bytes });
  const seen = { status, statusText, contentType, text: body, bytes, more: bytes >= MAX_REFUSAL_BYTES };
  return `not a Gigafactory answer: ${foreignAnswerText(seen)}`;
}
