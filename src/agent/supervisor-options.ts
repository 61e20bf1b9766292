/**
 * @module agent/supervisor-options
 * What agent/supervisor runs with: the run config, the output, the `hello` it declares at start, the installed
 * engines, who engines run as and in what sandbox — and, for tests, another connection and a shorter engine recheck.
 */
import type { RunConfig } from "./config.ts";
import type { ConnectionOptions, FactoryConnection, HelloInfo } from "./connection.ts";
import type { RunAs } from "./engine-user.ts";
import type { Output } from "./output.ts";
import type { Sandbox } from "./sandbox.ts";

export interface SupervisorOptions {
  cfg: RunConfig;
  out: Output;
  hello: HelloInfo;
  engines: ReadonlyMap<string, string>;
  /** Engines of `engines` that cannot start at start, withdrawn until they look fixed: name → why (agent/engine-offer). */
  unavailableEngines?: ReadonlyMap<string, string>;
  /** Who engines run as (agent/engine-user); undefined = the agent's own user. */
  engineUser?: RunAs;
  /** The sandbox for engines run as the agent's own user (agent/sandbox). */
  sandbox?: Sandbox;
  /** The coordinator connection to use; default the real WebSocket one (tests pass a fake). */
  connect?: (opts: ConnectionOptions) => FactoryConnection;
  /** The first look at an engine withdrawn for not starting, ms (agent/engine-offer; tests shorten it). */
  engineRecheckMs?: number;
}
