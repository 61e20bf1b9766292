/**
 * @module agent/config
 * Where each setting of `run` comes from: flags win over the environment, which
 * wins over the config file (written by `enroll`), which wins over defaults.
 * `resolveRunConfig` is pure — flags, env and the parsed file go in, a checked
 * `RunConfig` or a shared/fixable-error `FixableError` (exit 2) saying what is wrong and how to fix it comes out.
 * An empty environment variable counts as unset (shared/env-value).
 */
import path from "node:path";
import { z } from "zod";
import { LEASE_TTL } from "../core/lease.ts";
import { envValue } from "../shared/env-value.ts";
import { EXIT_USAGE, FixableError } from "../shared/fixable-error.ts";
import { checkedCaps, OperatorCapability } from "./capabilities.ts";
import { type FlagValues, parseNumber } from "./cli-args.ts";
import { EngineTemplates, parseEngineSpec } from "./command-template.ts";
import {
  assertToken,
  assertTokenOrigin,
  checkedProduct,
  checkedUrl,
  ENROLL_FIRST,
  productOfSecret,
} from "./credential-checks.ts";
import { knownDefaultEngine } from "./engines.ts";

/**
 * A name the config file gives (URL, token, product, …), read without the blanks around it — as shared/env-value
 * reads the environment: a hand-written or generated file (Windows line endings, a value pasted from a terminal)
 * carries a `\r` or a blank no such name can hold, which `bad_url` or the coordinator then refused as a puzzle. Blanks
 * inside are kept, and refused where they cannot be (agent/credential-checks). Paths (`workDir`) are taken as
 * written: a path may end in a blank.
 */
const name = () => z.string().trim().min(1);

/** The config file: what `enroll` stores, plus optional defaults for `run`. */
export const ConfigFile = z
  .object({
    url: name().optional(),
    product: name().optional(),
    factoryId: name().optional(),
    token: name().optional(),
    name: name().optional(),
    seats: z.number().int().min(1).max(64).optional(),
    // Checked here, not where they are used (as `internal` errors), so a bad one is `config_invalid` naming the file.
    capabilities: z.array(OperatorCapability).optional(),
    engines: EngineTemplates.optional(),
    defaultEngine: z.string().trim().optional(),
    workDir: z.string().optional(),
    checkpointRemote: z.string().optional(),
    engineUser: name().optional(),
    engineEnv: z.array(z.string()).optional(),
    allowLocalRepos: z.boolean().optional(),
  })
  .passthrough();
export type ConfigFile = z.infer<typeof ConfigFile>;

export interface RunConfig {
  url: string;
  product: string;
  token: string;
  factoryId?: string;
  name: string;
  seats: number;
  /** Where `seats` came from, for the warning when it is over the grant (`--seats`); undefined = the default. */
  seatsFrom?: string;
  extraCaps: string[];
  /** Operator engines (config file, then flags): name → command template. */
  engines: Record<string, string>;
  defaultEngine?: string;
  stateDir: string;
  workDir: string;
  checkpointRemote: string;
  checkpointIntervalMs: number;
  drainTimeoutMs: number;
  leaseTtlSeconds?: number;
  keepWorkspaces: boolean;
  json: boolean;
  /** `--engine-user`: who engines run as (resolved by agent/engine-user; default `nobody` under root). */
  engineUserName?: string;
  /** `--engine-env`: more variable names an engine inherits, beyond agent/engine-env's allow-list. */
  engineEnv: string[];
  /** `--allow-local-repos`: jobs may name a repository by a path on this host. */
  allowLocalRepos: boolean;
}

export type Env = Readonly<Record<string, string | undefined>>;

/** 30 s: a crash loses at most half a minute of engine work, at one small commit + push per job per interval. */
export const DEFAULT_CHECKPOINT_INTERVAL_S = 30;
/** 30 s: matches common orchestrators' termination grace (Kubernetes, systemd), so a drain fits before SIGKILL. */
export const DEFAULT_DRAIN_TIMEOUT_S = 30;

const str = (v: FlagValues[string] | undefined): string | undefined => (typeof v === "string" ? v : undefined);
const list = (v: FlagValues[string] | undefined): string[] => (Array.isArray(v) ? v : []);

/** `--state-dir` > `GIGAFACTORY_AGENT_STATE` > `~/.gigafactory-agent`. */
export function stateDirFrom(flags: FlagValues, env: Env, home: string): string {
  const dir = str(flags["state-dir"]) ?? envValue(env, "GIGAFACTORY_AGENT_STATE");
  return path.resolve(dir ?? path.join(home, ".gigafactory-agent"));
}

/** `gf_<product>_<secret>` names its product; other tokens (and `gfe_…` codes) do not. */
export function productOfToken(token: string): string | undefined {
  return token.startsWith("gf_") ? productOfSecret(token) : undefined;
}

const FILE_URL = "the config file's url";
const FILE_TOKEN = "the config file's token";

/** The first of `sources` that has a value, and its name (for messages that say where a bad value came from). */
function first(...sources: [string, string | undefined][]): [string, string] | undefined {
  const hit = sources.find(([, v]) => v !== undefined);
  return hit as [string, string] | undefined;
}

/**
 * `run`'s settings from flags > env (empty = unset) > config file > defaults. Throws FixableError (exit 2):
 * `not_logged_in` (no URL or no token, the CLI's code), `bad_url`, `token_is_code` (a `gfe_` code as the token),
 * `product_required` (none given and the token names none, the CLI's code),
 * `wrong_product` (the token names another product than the one configured), `token_other_origin` (the config
 * file's token and a `--url`/GIGAFACTORY_URL of another origin than the file's: `defaults.configFile` names the file),
 * `bad_engine` (an --engine it cannot read, a default engine it does not know), `usage` (a flag value it cannot
 * take), `work_dir_in_state_dir`. Durations in the result are ms.
 */
export function resolveRunConfig(
  flags: FlagValues,
  env: Env,
  file: ConfigFile,
  defaults: { stateDir: string; hostname: string; configFile?: string },
): RunConfig {
  const urlFrom = first(
    ["--url", str(flags.url)],
    ["GIGAFACTORY_URL", envValue(env, "GIGAFACTORY_URL")],
    [FILE_URL, file.url],
  );
  const tokenFrom = first(
    ["--token", str(flags.token)],
    ["GIGAFACTORY_FACTORY_TOKEN", envValue(env, "GIGAFACTORY_FACTORY_TOKEN")],
    [FILE_TOKEN, file.token],
  );
  const [urlSource, url] = urlFrom ?? ["", ""];
  const [tokenSource, token] = tokenFrom ?? ["", ""];
  if (!url) {
    throw new FixableError(
      "not_logged_in",
      "no coordinator URL",
      `${ENROLL_FIRST}, or pass --url https://… (or set GIGAFACTORY_URL)`,
      EXIT_USAGE,
    );
  }
  const baseUrl = checkedUrl(url, urlSource);
  if (!token) {
    throw new FixableError(
      "not_logged_in",
      "no factory token",
      `${ENROLL_FIRST}, or pass --token gf_… (or set GIGAFACTORY_FACTORY_TOKEN)`,
      EXIT_USAGE,
    );
  }
  assertToken(token, tokenSource);
  if (tokenFrom?.[0] === FILE_TOKEN && urlFrom?.[0] !== FILE_URL && file.url !== undefined)
    assertTokenOrigin(baseUrl, urlSource, checkedUrl(file.url, FILE_URL), defaults.configFile ?? "the config file");
  const productFrom = first(
    ["--product", str(flags.product)],
    ["GIGAFACTORY_PRODUCT", envValue(env, "GIGAFACTORY_PRODUCT")],
    ["the config file's product", file.product],
  );
  const product = checkedProduct(token, productFrom);
  let engines: Record<string, string> = { ...(file.engines ?? {}) };
  try {
    for (const spec of list(flags.engine)) {
      const { name, template } = parseEngineSpec(spec);
      engines = { ...engines, [name]: template };
    }
  } catch (err) {
    throw new FixableError(
      "bad_engine",
      (err as Error).message,
      'quote the template: --engine claude="claude -p --model sonnet"',
      EXIT_USAGE,
    );
  }
  const workDir = path.resolve(str(flags["work-dir"]) ?? file.workDir ?? defaultWorkDir(defaults.stateDir));
  if (contains(defaults.stateDir, workDir) || contains(workDir, defaults.stateDir)) {
    throw new FixableError(
      "work_dir_in_state_dir",
      `the work dir ${workDir} and the state dir ${defaults.stateDir} overlap: engines work in the one, the factory token lives in the other`,
      `pass --work-dir ${defaultWorkDir(defaults.stateDir)}`,
      EXIT_USAGE,
    );
  }
  const engineEnv = [...(file.engineEnv ?? []), ...list(flags["engine-env"])];
  const badName = engineEnv.find((n) => !/^[A-Za-z_][A-Za-z0-9_]*$/.test(n) || n.startsWith("GIGAFACTORY_"));
  if (badName !== undefined)
    throw new FixableError(
      "usage",
      `--engine-env ${badName} is not a variable an engine may get`,
      "pass e.g. --engine-env AWS_PROFILE",
      EXIT_USAGE,
    );
  const seats = parseNumber("seats", str(flags.seats), 1, 64) ?? file.seats ?? 1;
  if (!Number.isInteger(seats))
    throw new FixableError("usage", `--seats ${seats} is not a whole number`, "pass --seats 2", EXIT_USAGE);
  const leaseTtl = parseNumber("lease-ttl", str(flags["lease-ttl"]), LEASE_TTL.minSeconds, LEASE_TTL.maxSeconds);
  return {
    url: baseUrl,
    product,
    token,
    factoryId: file.factoryId,
    name: str(flags.name) ?? file.name ?? defaults.hostname,
    seats,
    seatsFrom: flags.seats !== undefined ? "--seats" : file.seats !== undefined ? "the config file's seats" : undefined,
    extraCaps: [...(file.capabilities ?? []), ...checkedCaps(list(flags.cap))],
    engines,
    defaultEngine: knownDefaultEngine(str(flags["default-engine"]), file.defaultEngine, engines),
    stateDir: defaults.stateDir,
    workDir,
    checkpointRemote: path.resolve(
      str(flags["checkpoint-remote"]) ?? file.checkpointRemote ?? path.join(workDir, "checkpoints.git"),
    ),
    checkpointIntervalMs:
      (parseNumber("checkpoint-interval", str(flags["checkpoint-interval"]), 0.1, 86_400) ??
        DEFAULT_CHECKPOINT_INTERVAL_S) * 1000,
    drainTimeoutMs:
      (parseNumber("drain-timeout", str(flags["drain-timeout"]), 0, 86_400) ?? DEFAULT_DRAIN_TIMEOUT_S) * 1000,
    leaseTtlSeconds: leaseTtl === undefined ? undefined : Math.round(leaseTtl),
    keepWorkspaces: flags["keep-workspaces"] === true,
    json: flags.json === true,
    engineUserName: str(flags["engine-user"]) ?? file.engineUser,
    engineEnv,
    allowLocalRepos: flags["allow-local-repos"] === true || file.allowLocalRepos === true,
  };
}

/** Beside the state dir, never inside it: `~/.gigafactory-agent` → `~/.gigafactory-agent-work`. */
export function defaultWorkDir(stateDir: string): string {
  return `${stateDir.replace(/\/+$/, "")}-work`;
}

/** `inner` is `outer` or below it. */
function contains(outer: string, inner: string): boolean {
  const rel = path.relative(outer, inner);
  return rel === "" || (!rel.startsWith("..") && !path.isAbsolute(rel));
}
