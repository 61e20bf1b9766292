/**
 * @module agent/seat-context
 * What one seat's run (agent/seat-endings, agent/seat-runner) is given by the supervisor: the connection, the run
 * config, the output, the job records, the engines it picks from, the REST target, who and where engines run, and the
 * live views of the connection (its lease TTL, the features its `welcome` announced).
 */
import type { RunConfig } from "./config.ts";
import type { FactoryConnection } from "./connection.ts";
import type { EngineOffer } from "./engine-offer.ts";
import type { RunAs } from "./engine-user.ts";
import type { Output } from "./output.ts";
import type { RestTarget } from "./rest.ts";
import type { Sandbox } from "./sandbox.ts";
import type { JobRecords } from "./state.ts";

export interface SeatContext {
  conn: FactoryConnection;
  cfg: RunConfig;
  out: Output;
  records: JobRecords;
  engines: ReadonlyMap<string, string>;
  rest: RestTarget;
  /** Who engines run as (agent/engine-user), HOME resolved; undefined = the agent's own user. */
  engineUser?: RunAs;
  /** The sandbox engines run in when they run as the agent's own user (agent/sandbox). */
  sandbox?: Sandbox;
  /** The engines offered (agent/engine-offer): told of one that cannot start; `engines` is its live `offered`. */
  engineOffer?: Pick<EngineOffer, "withdraw" | "whyWithdrawn" | "installed">;
  /** The lease TTL (s) that applies on this connection (welcome, then `settings` frames); undefined before welcome. */
  connectionTtl?: () => number | undefined;
  /** The optional protocol features the last `welcome` announced (shared/protocol FEATURES). */
  features?: () => ReadonlySet<string>;
  /** How long past its known expiry an unrenewed lease still runs (ms, for a TTL in s); default agent/lease-renewer's. */
  lapseGraceMs?: (ttlSeconds: number) => number;
}
