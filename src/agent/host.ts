/**
 * @module agent/host
 * What this host offers, gathered once at start: the engine table narrowed to
 * installed commands, and the capability list built from it (agent/capabilities).
 * Shared by `enroll` (which registers the capabilities) and `run` (which
 * advertises them in `hello`, so they stay current as tools are installed).
 */
import { readFileSync } from "node:fs";
import { detectCapabilities, hostFacts, hostPathLookup } from "./capabilities.ts";
import { availableEngines, DEFAULT_ENGINES, engineTable, sampleTemplate } from "./engines.ts";

export interface HostProfile {
  capabilities: string[];
  /** Installed engines: name → command template, in preference order. */
  engines: Map<string, string>;
}

/** Defaults, then the config file's engines, then `--engine` flags (already merged by config). */
export function hostProfile(
  operatorEngines: Readonly<Record<string, string>>,
  extraCaps: readonly string[],
): HostProfile {
  const table = engineTable({ ...DEFAULT_ENGINES, sample: sampleTemplate() }, operatorEngines);
  // Operator engines first: they express this host's preference for jobs naming no engine.
  const ordered = engineTable(operatorEngines, Object.fromEntries(table));
  const engines = availableEngines(ordered, hostPathLookup());
  const capabilities = detectCapabilities(hostFacts([...engines.keys()], extraCaps));
  return { capabilities, engines };
}

/** This package's version, for `hello.agentVersion`. */
export function agentVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
      version?: string;
    };
    return `gigafactory-agent/${pkg.version ?? "0"}`.slice(0, 40);
  } catch {
    return "gigafactory-agent/unknown";
  }
}
