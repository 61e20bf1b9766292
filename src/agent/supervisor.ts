/**
 * @module agent/supervisor
 * The agent's control loop, owning the connection and the seats: a SeatRunner per pushed assignment (one per seat
 * granted: agent/seat-grant); after every (re)connect its seats reconciled with `welcome.leases` — leases it holds but
 * no longer runs resumed, those no longer listed abandoned; `cancel` routed to its seat (one no seat runs answered
 * `stopped`: agent/unrun-leases); engines an earlier process left for jobs not leased here stopped (agent/orphans);
 * old kept workspaces swept (agent/kept-workspaces); an engine that cannot start withdrawn from hellos and seats till
 * it looks fixed, or SIGUSR2 (agent/engine-offer); a drain on SIGTERM/SIGINT/SIGHUP (agent/seat-stops). `run()` gives
 * the exit code.
 */
import type { FixableError } from "../shared/fixable-error.ts";
import type { Assignment, ServerFrame } from "../shared/protocol.ts";
import { assignmentProblem, refusedJobLabel } from "./assignment-guard.ts";
import { ConnectionEnded, EXIT, LEASE_UNKNOWN, retiredWords, type StopReason, signalExitCode } from "./close-codes.ts";
import { type ConnectionOptions, FactoryConnection, type Welcome } from "./connection.ts";
import { type EngineOffer, hostEngineOffer } from "./engine-offer.ts";
import { sweepKeptWorkspaces } from "./kept-workspaces.ts";
import { leaseTtlLine, StandingNotices } from "./lease-notices.ts";
import { reapOrphans } from "./orphans.ts";
import { plural, SeatGrant } from "./seat-grant.ts";
import { type SeatContext, SeatRunner } from "./seat-runner.ts";
import { drainSeats, forceStopSeats, stopSeats } from "./seat-stops.ts";
import { corruptRecordEvent, JobRecords } from "./state.ts";
import type { SupervisorOptions } from "./supervisor-options.ts";
import { UnrunLeases } from "./unrun-leases.ts";

export type { SupervisorOptions } from "./supervisor-options.ts";

export class Supervisor {
  private readonly seats = new Map<string, SeatRunner>();
  private readonly conn: FactoryConnection;
  private readonly ctx: SeatContext;
  private readonly opts: SupervisorOptions;
  /** The seats the coordinator granted (agent/seat-grant): what `take` fills, whatever `--seats` asked. */
  private readonly grant: SeatGrant;
  /** Leases no seat here runs: their `stopped` frames, and the cancelled ones never to start (agent/unrun-leases). */
  private readonly unrun: UnrunLeases;
  /** The engines offered: one that cannot start is withdrawn until it looks fixed (agent/engine-offer). */
  private readonly offer: EngineOffer;
  private draining = false;
  private hurry: ((signal: StopReason) => void) | undefined; // a second signal's exit waits on reports: a third's not
  private welcomed = false;
  private readonly standing = new StandingNotices(); // what it said last of its standing (agent/lease-notices)
  /** This factory's id, from the last `welcome` (the commands the agent prints name it). */
  private factoryId: string | undefined;
  /** The lease TTL (s) that applies on this connection: welcome's, then each `settings` frame's. */
  private leaseTtlSeconds: number | undefined;
  /** The optional protocol features the last `welcome` announced: none until one does. */
  private features: ReadonlySet<string> = new Set();
  private exit!: (code: number) => void;
  private readonly exited: Promise<number>;

  constructor(opts: SupervisorOptions) {
    this.opts = opts;
    const { cfg } = opts;
    this.grant = new SeatGrant(cfg.seats, cfg.seatsFrom, opts.out, cfg.name);
    this.exited = new Promise((resolve) => {
      this.exit = resolve;
    });
    const connect = opts.connect ?? ((o: ConnectionOptions) => new FactoryConnection(o));
    const rest = { url: cfg.url, product: cfg.product, token: cfg.token };
    this.offer = hostEngineOffer(opts, rest);
    this.conn = connect({
      ...rest,
      // Each (re)connect declares what is offered then: an engine withdrawn since start stays out (agent/engine-offer).
      hello: () => ({ ...opts.hello, capabilities: this.offer.capabilities(), engines: this.offer.engineNames() }),
      handlers: {
        onWelcome: (w) => this.onWelcome(w),
        onFrame: (f) => this.onFrame(f),
        onDisconnected: (why, ms) =>
          opts.out.say("⚠", "disconnected", `${why} — reconnecting in ${(ms / 1000).toFixed(1)}s`),
        onFatal: (error) => void this.fatal(error),
        onIgnored: (why) => opts.out.say("⚠", "frame.ignored", `ignored a frame from the coordinator: ${why}`),
      },
    });
    this.ctx = {
      conn: this.conn,
      cfg,
      out: opts.out,
      records: new JobRecords(cfg.stateDir, corruptRecordEvent(opts.out)),
      engines: this.offer.offered,
      engineOffer: this.offer,
      rest,
      engineUser: opts.engineUser,
      sandbox: opts.sandbox,
      connectionTtl: () => this.leaseTtlSeconds,
      features: () => this.features,
    };
    this.unrun = new UnrunLeases(this.conn, () => this.features, opts.out);
  }

  run(): Promise<number> {
    this.opts.out.say("·", "connecting", `connecting to ${this.conn.endpoint}`);
    this.conn.start();
    return this.exited;
  }

  private onWelcome(w: Welcome): void {
    const { cfg, hello, out } = this.opts;
    const verb = this.welcomed ? "reconnected" : "connected";
    this.welcomed = true;
    this.factoryId = w.factoryId;
    this.leaseTtlSeconds = w.leaseTtlSeconds ?? this.leaseTtlSeconds;
    this.features = new Set(w.features ?? []);
    this.grant.update(w, w.factoryId);
    const pend = w.pendingCapabilities?.join(", "); // jobs needing one wait: say what approves them
    const pending = pend ? `; awaiting approval: ${pend} (\`gigafactory factory approve ${w.factoryId}\`)` : "";
    const caps = `caps: ${(w.capabilities ?? hello.capabilities).join(", ")}${pending}`; // routed on, not declared
    out.say("✔", verb, `${verb} as ${cfg.name} (${w.factoryId}) — ${plural(this.grant.seats)}, ${caps}`, {
      ...{ factoryId: w.factoryId, seats: this.grant.seats, capabilities: w.capabilities ?? hello.capabilities },
      ...(pend ? { pendingCapabilities: w.pendingCapabilities } : {}),
      leases: w.leases.length,
    });
    this.standing.welcome(out, w); // not active: why, what lifts it; or active again (agent/lease-notices)
    const valid = w.leases.filter((a) => !assignmentProblem(a)); // a malformed one: refused by `take`, not reconciled
    const held = new Map(valid.map((a) => [a.job.id, a]));
    for (const [id, seat] of this.seats) {
      const lease = held.get(id);
      if (lease?.leaseEpoch === seat.leaseEpoch) {
        seat.leaseConfirmed(lease.ttlSeconds); // still held, however long the socket was gone: its engine runs on
        continue;
      }
      seat.unlisted(); // abandoned, unless its report is out: the answer to that decides (agent/seat-run-end)
      if (lease) void seat.finished.then(() => this.take(lease, true)); // re-leased under a new epoch: after the old
    }
    // Engines an earlier (SIGKILLed) process of this agent left running for jobs no longer ours: stop them.
    const ours = (id: string) => held.has(id) || this.seats.has(id);
    const leftovers = cfg.keepWorkspaces ? undefined : { ...cfg, owner: this.ctx.engineUser }; // their files too
    reapOrphans(this.ctx.records, cfg.workDir, ours, out, (lease) => this.unrun.stopped(lease), leftovers);
    void sweepKeptWorkspaces(cfg.workDir, this.ctx.engineUser, Date.now(), out); // kept past their days (never throws)
    if (this.draining) void this.conn.request({ type: "drain" }).catch(() => undefined);
    for (const a of w.leases) if (!valid.includes(a) || !this.seats.has(a.job.id)) this.take(a, true);
  }

  private onFrame(f: ServerFrame): void {
    const { out } = this.opts; // welcome and ack frames: consumed by the connection, never here
    switch (f.type) {
      case "assign":
        for (const a of f.assignments) this.take(a, false);
        return;
      case "cancel": {
        const seat = this.seats.get(f.jobId);
        if (seat?.leaseEpoch === f.leaseEpoch)
          seat.cancel(f); // said as what it is (agent/lease-notices)
        else this.unrun.cancelled(f); // no seat runs it (refused, or waiting on an older run): now none ever will
        return;
      }
      case "drain": // why, and the command that lifts it; `active`: work comes again (agent/lease-notices)
      case "active":
        return void this.standing.frame(out, f, this.factoryId ?? this.opts.cfg.name);
      case "revoke":
        return void out.say("✘", "revoked", retiredWords(f.reason).what);
      case "settings": {
        // An operator changed the product's lease TTL: every running lease renews now and takes the new one. Said
        // only as it applies here (agent/lease-notices `leaseTtlLine`): nothing when its TTL stays as it was unexplained.
        const line = leaseTtlLine(this.leaseTtlSeconds, f.leaseTtlSeconds, this.opts.cfg.leaseTtlSeconds);
        if (line) out.say("·", "settings", line, { leaseTtlSeconds: f.leaseTtlSeconds });
        this.leaseTtlSeconds = f.leaseTtlSeconds;
        for (const seat of this.seats.values()) seat.leaseTtlChanged();
        return;
      }
      case "grant": // an operator changed this factory's seat limit: jobs beyond the new grant wait (none is stopped)
        return void this.grant.update(f);
      case "error":
        if (f.code !== "replaced") out.say("⚠", "server.error", `coordinator error ${f.code}: ${f.message}`);
        return;
    }
  }

  /** Start a seat for an assignment, or refuse it when malformed (agent/assignment-guard), draining or full. */
  private take(a: Assignment, resumed: boolean, lookedAgain = false): void {
    const problem = assignmentProblem(a);
    if (problem) {
      // Its id or attempt would become a path on this host: not run, not answered (the lease lapses).
      const job = refusedJobLabel(a);
      this.opts.out.say("⚠", "assign.refused", `refused an assignment of job ${job}: ${problem}`, { problem });
      return;
    }
    const lease = { jobId: a.job.id, leaseEpoch: a.leaseEpoch };
    if (this.unrun.skipCancelled(lease)) return; // cancelled before a seat took it: answered `stopped` already
    const old = this.seats.get(a.job.id);
    if (old) {
      if (old.leaseEpoch >= a.leaseEpoch) return; // this very lease pushed again (or an older one): already ours
      // Leased to us again under a newer epoch (the old lease lapsed, e.g. while this process was stopped): the
      // old run is a zombie. Dropping the push left the job with nobody running it until this lease expired too.
      old.abandon(`the coordinator leased it again (epoch ${a.leaseEpoch})`, false);
      void old.finished.then(() => this.take(a, resumed));
      return;
    }
    const busy = [...this.seats.values()].filter((s) => s.occupiesSeat).length;
    // A lease whose engine ran already (exit or report on record: a restart's) is finished, draining or full: no
    // engine runs for it, and releasing it ran that paid-for work again elsewhere.
    const record = resumed ? this.ctx.records.read(a.job.id) : undefined;
    const ran = record?.leaseEpoch === a.leaseEpoch && (record.engineExit ?? record.report) !== undefined;
    const refuse = ran ? undefined : this.draining ? "draining" : busy >= this.grant.seats ? "no free seat" : undefined;
    if (refuse === "no free seat" && !lookedAgain) {
      // The ack that freed the seat and this push can arrive in one read: the ack's continuation (which
      // settles the seat) runs only after every frame of that read. Look again once it has.
      setImmediate(() => this.take(a, resumed, true));
      return;
    }
    // Not the job's fault: release (not reject), so it can come back to this host later.
    if (refuse) return void this.unrun.release(lease, refuse);
    const seat = new SeatRunner(this.ctx, a, resumed);
    this.seats.set(a.job.id, seat);
    void seat.finished.then(() => {
      if (this.seats.get(a.job.id) === seat) this.seats.delete(a.job.id);
    });
  }

  /** SIGUSR2: every withdrawn engine looked at now (agent/engine-offer `recheckNow`); how many. */
  recheckEngines(): number {
    return this.offer.recheckNow();
  }

  /**
   * A stop request (a signal, the parent gone): the first drains; a second exits (close-codes exit code) once the
   * reports under way are delivered, for a short while (agent/seat-stops `forceStopSeats`); a third, at once.
   */
  async drain(signal: StopReason): Promise<void> {
    const { out, cfg } = this.opts;
    if (this.hurry) return void this.hurry(signal);
    if (this.draining) {
      await forceStopSeats(this.seats, out, signal, (hurry) => {
        this.hurry = hurry;
      });
      this.exit(signalExitCode(signal));
      return;
    }
    this.draining = true;
    await drainSeats(this.seats, this.conn, out, signal, cfg.drainTimeoutMs);
    if (this.hurry) return; // a second signal came meanwhile: it decides the exit
    this.conn.close();
    this.offer.stop();
    out.say("✔", "drained", "drained — exiting");
    this.exit(EXIT.ok);
  }

  /** The connection ended for good (agent/close-codes): stop every engine, print `error`, exit with its code. */
  private async fatal(error: FixableError): Promise<void> {
    this.offer.stop();
    const ended =
      error instanceof ConnectionEnded
        ? error
        : { ended: `factory ${error.code}`, leases: LEASE_UNKNOWN, leaseMayStay: true };
    await stopSeats(this.seats, ended);
    this.opts.out.error(error.code, error.message, error.fix, error.exitCode);
    this.exit(error.exitCode);
  }
}
