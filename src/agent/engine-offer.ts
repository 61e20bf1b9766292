/**
 * @module agent/engine-offer
 * The engines this host offers, kept current after start. Capabilities were fixed at `hello`: a host whose engine
 * could not start (its binary gone or not executable, its `#!` interpreter missing: agent/engine-start) kept
 * advertising `engine:NAME`, so the router kept pushing it those jobs and the host rejected each one — every job of
 * that engine visited it in turn. Now such an engine is WITHDRAWN: seats stop picking it (a job naming it, or naming
 * none when it is this host's choice — never run on the next engine offered instead — is rejected before accepted), every later `hello` leaves it out, and the coordinator is told at once by the factory's own
 * beat (`POST /factories/heartbeat {capabilities}`: what a factory declares counts from then on, within its grant, and
 * the router reads it — coordinator factories/grants). The beat carries no lease and changes none: running jobs and
 * their leases go on untouched, where a reconnect for a new `hello` would have put every in-flight frame at risk.
 *
 * A withdrawn engine is looked at again after `recheckMs` (default 5 min), doubling per withdrawal of the same engine
 * up to an hour: when nothing that can be seen without running it is wrong any more (agent/engine-start
 * `engineStartProblem`), it is offered again (`engine.restored`) and declared so; if it still cannot start, the next
 * job for it withdraws it again, for longer. An operator who fixed it need not wait: SIGUSR2 to the agent looks at every
 * withdrawn engine at once (`recheckNow`). A restarted agent offers every installed engine afresh. A default engine
 * (claude, codex) not installed at start is looked for every `recheckMs` and on SIGUSR2 (agent/engine-absent), and
 * offered once found (`engine.installed`). Declarations are
 * sent one after another, each with the set as it is when it leaves, so the last one sent is the current set; one that
 * fails is sent again after a minute (and every reconnect's `hello` carries the current set anyway).
 */
import { splitCommand } from "./command-template.ts";
import { AbsentDefaults, absentDefaults } from "./engine-absent.ts";
import { engineStartProblem } from "./engine-start.ts";
import type { RunAs } from "./engine-user.ts";
import type { Output } from "./output.ts";
import { declareCapabilities, type RestTarget } from "./rest.ts";
import type { SupervisorOptions } from "./supervisor-options.ts";

/** 5 min: the first look at a withdrawn engine; doubled per withdrawal of the same engine, at most MAX_RECHECK_MS. */
export const ENGINE_RECHECK_MS = 5 * 60_000;
const MAX_RECHECK_MS = 60 * 60_000;
/** 1 min: a declaration the coordinator did not take is sent again after this. */
const DECLARE_RETRY_MS = 60_000;

export interface EngineOfferOptions {
  /** Every installed engine at start (agent/host `hostProfile`): name → command template, in preference order. */
  engines: ReadonlyMap<string, string>;
  /** The capabilities detected at start (`engine:NAME` for each engine, `--cap` included), as the first hello sent. */
  capabilities: readonly string[];
  out: Pick<Output, "say">;
  /** Tells the coordinator the capabilities this host now offers (its HTTP beat); rejects when not taken. */
  declare: (capabilities: string[]) => Promise<unknown>;
  /** What keeps engine `template` from starting, as far as can be seen without running it; undefined: nothing. */
  probe: (template: string) => string | undefined;
  /** The first look at a withdrawn engine, ms; default ENGINE_RECHECK_MS. */
  recheckMs?: number;
  /** Engines of `engines` withdrawn from the start: name → why (agent/engine-unavailable). */
  unavailable?: ReadonlyMap<string, string>;
  /** Default engines not installed at start, looked for again (agent/engine-absent): name → template. */
  absent?: ReadonlyMap<string, string>;
}

export class EngineOffer {
  /** The engines seats pick from (live: an engine withdrawn or restored shows here at once), in preference order. */
  readonly offered: Map<string, string>;
  /**
   * Every engine installed at start, withdrawn or not, in preference order, and each absent default found since:
   * whose choice a job naming none gets.
   */
  readonly installed: ReadonlyMap<string, string>;
  private readonly engines: Map<string, string>;
  private readonly opts: EngineOfferOptions;
  private readonly absent: AbsentDefaults;
  /** `engine:NAME` of each absent default found since start: declared beside those detected at start. */
  private readonly foundCaps = new Set<string>();
  private readonly withdrawn = new Map<string, { why: string; timer: ReturnType<typeof setTimeout> }>();
  /** How many times each engine was withdrawn since start: its next look waits recheckMs × 2^(n − 1). */
  private readonly strikes = new Map<string, number>();
  private declaring: Promise<void> = Promise.resolve();
  private retry: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;

  constructor(opts: EngineOfferOptions) {
    this.opts = opts;
    this.offered = new Map(opts.engines);
    this.engines = new Map(opts.engines);
    this.installed = this.engines;
    // Not declared: the first hello carries the set without them.
    for (const [name, why] of opts.unavailable ?? []) this.withdraw(name, why, false);
    const everyMs = opts.recheckMs ?? ENGINE_RECHECK_MS;
    this.absent = new AbsentDefaults(opts.absent ?? new Map(), opts.probe, (n, t) => this.adopt(n, t), everyMs);
    const absent = this.absent.names();
    if (absent.length > 0) {
      const text = `${absent.join(", ")} not installed: looked for every ${Math.round(everyMs / 1000)}s and at once on SIGUSR2 (\`kill -USR2 ${process.pid}\`), offered once found`;
      opts.out.say("·", "engine.absent", text, { engines: absent });
    }
  }

  /** The capabilities to declare now: those detected at start without `engine:NAME` of a withdrawn engine. */
  capabilities(): string[] {
    const caps = [...new Set([...this.opts.capabilities, ...this.foundCaps])].sort();
    return caps.filter((c) => !(c.startsWith("engine:") && this.withdrawn.has(c.slice(7))));
  }

  /** The engine names to declare in `hello` (at most 16, as the protocol allows). */
  engineNames(): string[] {
    return [...this.offered.keys()].slice(0, 16);
  }

  /** Why engine `name` is withdrawn, or undefined when it is offered (or never was installed). */
  whyWithdrawn(name: string): string | undefined {
    return this.withdrawn.get(name)?.why;
  }

  /**
   * Engine `name` cannot start (`why`: binary, cause, fix): offered no more until it looks fixed. Idempotent.
   * `declare`: tell the coordinator now (false at start, before any hello).
   */
  withdraw(name: string, why: string, declare = true): void {
    if (this.stopped || this.withdrawn.has(name) || !this.engines.has(name)) return;
    const n = (this.strikes.get(name) ?? 0) + 1;
    this.strikes.set(name, n);
    const waitMs = Math.min((this.opts.recheckMs ?? ENGINE_RECHECK_MS) * 2 ** (n - 1), MAX_RECHECK_MS);
    this.offered.delete(name);
    this.withdrawn.set(name, { why, timer: this.later(() => this.recheck(name, waitMs), waitMs) });
    const again = `looked at again in ${Math.round(waitMs / 1000)}s, at once on SIGUSR2 (\`kill -USR2 ${process.pid}\`), or at the agent's next start`;
    this.opts.out.say(
      "✘",
      "engine.withdrawn",
      `engine ${name} is ${declare ? "no longer" : "not"} offered (${why}); ${again}`,
      {
        engine: name,
        recheckInMs: waitMs,
      },
    );
    if (declare) this.announce();
  }

  /**
   * Look at every withdrawn engine now (the operator fixed one and says so: SIGUSR2, agent/main), not at its timer's
   * end — up to an hour away — and for every default engine absent at start (agent/engine-absent). Each that looks
   * startable is offered; each still broken is said, with why, and keeps its timer. Returns how many withdrawn ones
   * were looked at (0: none is withdrawn, said too, with the defaults still absent).
   */
  recheckNow(): number {
    const names = [...this.withdrawn.keys()];
    this.absent.lookNow();
    const absent = this.absent.names();
    const missing = absent.length > 0 ? `; ${absent.join(", ")} still not installed` : "";
    if (names.length === 0)
      this.opts.out.say("·", "engine.recheck", `no engine is withdrawn: nothing to look at${missing}`);
    for (const name of names) {
      const w = this.withdrawn.get(name);
      const template = this.engines.get(name);
      if (!w || template === undefined) continue;
      const problem = this.opts.probe(template);
      const text = `engine ${name} still cannot start (${problem})`;
      if (problem === undefined) this.restore(name);
      else this.opts.out.say("✘", "engine.still_broken", text, { engine: name });
    }
    return names.length;
  }

  /** Stop looking and declaring (the agent is exiting). */
  stop(): void {
    this.stopped = true;
    this.absent.stop();
    for (const w of this.withdrawn.values()) clearTimeout(w.timer);
    if (this.retry) clearTimeout(this.retry);
  }

  private recheck(name: string, waitMs: number): void {
    const w = this.withdrawn.get(name);
    const template = this.engines.get(name);
    if (this.stopped || !w || template === undefined) return;
    const problem = this.opts.probe(template);
    if (problem !== undefined) {
      w.timer = this.later(() => this.recheck(name, waitMs), waitMs); // still broken: look again as late
      return;
    }
    this.restore(name);
  }

  /** Offers withdrawn engine `name` again, in its place, and declares so. */
  private restore(name: string): void {
    clearTimeout(this.withdrawn.get(name)?.timer);
    this.withdrawn.delete(name);
    // Back in its place in the preference order (a job naming no engine takes the first).
    const order = [...this.engines].filter(([n]) => n === name || this.offered.has(n));
    this.offered.clear();
    for (const [n, t] of order) this.offered.set(n, t);
    this.opts.out.say("✔", "engine.restored", `engine ${name} looks startable again: offered again`, { engine: name });
    this.announce();
  }

  /** Default engine `name`, absent at start, is installed now: offered from now on, and declared so. */
  private adopt(name: string, template: string): void {
    if (this.stopped) return;
    this.engines.set(name, template);
    this.offered.set(name, template);
    this.foundCaps.add(`engine:${name}`);
    const grant = `if this factory's grant lacks engine:${name}, an operator approves it (gigafactory factory approve)`;
    this.opts.out.say("✔", "engine.installed", `engine ${name} is installed now: offered (${grant})`, { engine: name });
    this.announce();
  }

  /** Sends the current set after any declaration still on its way; one not taken is sent again after a minute. */
  private announce(): void {
    if (this.retry) clearTimeout(this.retry);
    this.retry = undefined;
    this.declaring = this.declaring.then(async () => {
      if (this.stopped) return;
      try {
        await this.opts.declare(this.capabilities());
      } catch (err) {
        const text = `could not tell the coordinator the engines this host offers (${(err as Error).message}); trying again in ${DECLARE_RETRY_MS / 1000}s`;
        this.opts.out.say("⚠", "engine.declare_failed", text);
        this.retry ??= this.later(() => this.announce(), DECLARE_RETRY_MS);
      }
    });
  }

  /** A timer that keeps no exiting agent alive. */
  private later(fn: () => void, ms: number): ReturnType<typeof setTimeout> {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return t;
  }
}

/**
 * A running agent's EngineOffer (its supervisor's `opts`): declared by the factory's HTTP beat to `rest` (agent/rest
 * `declareCapabilities`), probed on the agent's PATH from the work dir, as the user engines run as (the agent's own
 * when there is no engine user).
 */
export function hostEngineOffer(opts: SupervisorOptions, rest: RestTarget): EngineOffer {
  const { engines, out, cfg, engineUser } = opts;
  return new EngineOffer({
    engines,
    capabilities: opts.hello.capabilities,
    out,
    recheckMs: opts.engineRecheckMs,
    ...(opts.unavailableEngines ? { unavailable: opts.unavailableEngines } : {}),
    absent: absentDefaults(engines, cfg.engines),
    declare: (capabilities) => declareCapabilities(rest, capabilities),
    probe: engineProbe(cfg.workDir, engineUser),
  });
}

/** What keeps an engine's command template from starting (agent/engine-start), on the agent's PATH, from `workDir`. */
export function engineProbe(workDir: string, as: RunAs | undefined): (template: string) => string | undefined {
  return (template) => {
    const argv0 = splitCommand(template)[0] ?? "";
    return engineStartProblem(argv0, { pathVar: process.env.PATH ?? "", cwd: workDir, as });
  };
}
