/**
 * @module agent/engine-unavailable
 * An engine the operator configured (`--engine NAME=…`, the config file's `engines`) whose command was not installed,
 * or not executable, when `run` started was left out of the host's engines without a word: jobs naming it waited
 * `no_capable_factory` while the agent said nothing of why, and fixing the command changed nothing until a restart.
 * Now such an engine is in the host's table WITHDRAWN from the start (agent/engine-offer): said (`engine.withdrawn`,
 * with what keeps it from starting), looked at again as any withdrawn engine is (its timer, or at once on SIGUSR2)
 * and offered once it looks startable. The defaults (`claude`, `codex`) are not the operator's: absent, they are
 * simply not installed here.
 */
import { engineTable } from "./engines.ts";
import type { HostProfile } from "./host.ts";

export interface EngineTable {
  /** Every engine to run with: those installed and the operator's unavailable ones, in preference order. */
  engines: Map<string, string>;
  /** The capabilities detected, plus `engine:NAME` of each unavailable engine (agent/engine-offer leaves it out). */
  capabilities: string[];
  /** The operator's engines not installed: name → why it cannot start (`probe`'s words). */
  unavailable: Map<string, string>;
}

/**
 * `profile` (agent/host `hostProfile`, installed engines only) with the operator's engines it left out put back in
 * their place, as unavailable. `probe(template)`: what keeps that engine from starting (agent/engine-start
 * `engineStartProblem`), undefined when nothing visible does.
 */
export function withUnavailable(
  profile: HostProfile,
  operatorEngines: Readonly<Record<string, string>>,
  probe: (template: string) => string | undefined,
): EngineTable {
  const unavailable = new Map<string, string>();
  for (const [name, template] of Object.entries(operatorEngines)) {
    if (profile.engines.has(name)) continue;
    unavailable.set(name, probe(template) ?? `${template}: not an executable on this host's PATH`);
  }
  // The operator's engines first, in their order, as agent/host orders the installed ones.
  const ordered = engineTable(operatorEngines, Object.fromEntries(profile.engines));
  const engines = new Map([...ordered].filter(([n]) => profile.engines.has(n) || unavailable.has(n)));
  const capabilities = [...new Set([...profile.capabilities, ...[...unavailable.keys()].map((n) => `engine:${n}`)])];
  return { engines, capabilities: capabilities.sort(), unavailable };
}
