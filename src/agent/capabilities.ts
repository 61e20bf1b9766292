/**
 * @module agent/capabilities
 * What this host can do, in the vocabulary the router matches on:
 * `os:<linux|darwin|windows>`, `arch:<x64|arm64>`, `node:<major>`,
 * `engine:<name>` per engine whose command is installed, `has:git`,
 * `has:docker`, plus whatever the operator adds with `--cap`. Deliberately no
 * invented tokens (seed 004 §14: a UI that defaulted to `build`, a token no
 * factory advertised, left every job unroutable). Detection from facts is pure;
 * `hostFacts()` gathers the facts.
 */

import { accessSync, constants, statSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import { Capability } from "../shared/api.ts";
import { notACapability } from "../shared/enroll-words.ts";
import { EXIT_USAGE, FixableError } from "../shared/fixable-error.ts";

export interface HostFacts {
  platform: string;
  arch: string;
  /** `process.version` or `process.versions.node`. */
  nodeVersion: string;
  hasGit: boolean;
  hasDocker: boolean;
  /** Names of engines whose command was found. */
  engines: readonly string[];
  /** Operator-supplied `--cap` values. */
  extra: readonly string[];
}

/** Node's platform names → the capability vocabulary (win32 is "windows" to humans). */
export function osName(platform: string): string {
  return platform === "win32" ? "windows" : platform;
}

/** `c` is a capability the coordinator accepts (shared/api Capability). */
const isCapability = (c: string): boolean => Capability.safeParse(c).success;

/** A capability the config file adds (`capabilities`): one the coordinator accepts, or an issue naming it. */
export const OperatorCapability = z.string().refine(isCapability, { error: (issue) => notACapability(issue.input) });

/**
 * The `--cap` values, each checked as a capability the coordinator accepts.
 * @throws FixableError `usage` (exit 2) naming the first that is not — the CLI's code for a flag value it cannot take
 *   (`gigafactory enroll --cap`: the same value, the same words); it was `bad_flag`.
 */
export function checkedCaps(caps: readonly string[]): string[] {
  const bad = caps.find((c) => !isCapability(c));
  if (bad !== undefined)
    throw new FixableError("usage", `--cap ${notACapability(bad)}`, "pass e.g. --cap gpu", EXIT_USAGE);
  return [...caps];
}

/** Facts → a sorted, de-duplicated capability list. Throws FixableError `usage` (exit 2) on an invalid extra. */
export function detectCapabilities(f: HostFacts): string[] {
  const major = /^v?(\d+)/.exec(f.nodeVersion)?.[1];
  const caps = [`os:${osName(f.platform)}`, `arch:${f.arch}`];
  if (major) caps.push(`node:${major}`);
  for (const e of f.engines) caps.push(`engine:${e}`);
  if (f.hasGit) caps.push("has:git");
  if (f.hasDocker) caps.push("has:docker");
  caps.push(...checkedCaps(f.extra));
  return [...new Set(caps)].sort();
}

export interface PathLookup {
  PATH: string;
  /** Windows executable extensions (`PATHEXT`); ignored elsewhere. */
  PATHEXT?: string;
  platform: string;
  isExecutable: (file: string) => boolean;
}

/** Where `command` resolves on PATH (or as given, when it contains a path separator), or undefined. */
export function findOnPath(command: string, env: PathLookup): string | undefined {
  const win = env.platform === "win32";
  const exts = win ? ["", ...(env.PATHEXT ?? ".EXE;.CMD;.BAT").split(";").filter(Boolean)] : [""];
  const candidates = (base: string) => exts.map((e) => base + e);
  if (command.includes("/") || (win && command.includes("\\"))) {
    return candidates(command).find(env.isExecutable);
  }
  const sep = win ? ";" : ":";
  for (const dir of env.PATH.split(sep)) {
    if (!dir) continue;
    const hit = candidates(path.join(dir, command)).find(env.isExecutable);
    if (hit) return hit;
  }
  return undefined;
}

/** The real filesystem check behind `findOnPath`. */
export function isExecutableFile(file: string): boolean {
  try {
    if (!statSync(file).isFile()) return false;
    accessSync(file, process.platform === "win32" ? constants.F_OK : constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** This process's PATH lookup. */
export function hostPathLookup(): PathLookup {
  return {
    PATH: process.env.PATH ?? "",
    PATHEXT: process.env.PATHEXT,
    platform: process.platform,
    isExecutable: isExecutableFile,
  };
}

/** Gather this host's facts; `engines` is decided by the engine table (see engines.ts). */
export function hostFacts(engines: readonly string[], extra: readonly string[]): HostFacts {
  const lookup = hostPathLookup();
  return {
    platform: process.platform,
    arch: process.arch,
    nodeVersion: process.version,
    hasGit: findOnPath("git", lookup) !== undefined,
    hasDocker: findOnPath("docker", lookup) !== undefined,
    engines,
    extra,
  };
}
