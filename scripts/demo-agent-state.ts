/**
 * @module scripts/demo-agent-state
 * What an earlier `npm start` left of a demo factory's agent (`<state>/demo/<name>/config.json`), made fit for this
 * run's coordinator before the agent starts: pointed at this run's URL, or — when the coordinator no longer knows
 * that factory — cleared, so that the demo enrolls it afresh as a first run does. And the coordinator's side made to
 * match: a factory of the demo's name that no saved config names is deregistered, so there is one per name.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { api, PRODUCT } from "./demo-api.ts";

interface AgentConfig {
  url?: string;
  factoryId?: string;
}

/**
 * Whether the agent in `stateDir` is enrolled with the coordinator at `url` (false: enroll it). The coordinator's
 * state may have been reset (`.wrangler/state` removed, `.wrangler/demo` kept): it then refused the old token, the
 * agent exited 3 ("enroll the host again") and every later `npm start` stopped at once with `agent_exited`.
 * Only a 404 for the factory clears it; any other refusal is left for the agent to report.
 */
export async function demoAgentEnrolled(
  stateDir: string,
  workDir: string,
  url: string,
  token: string,
): Promise<boolean> {
  const file = path.join(stateDir, "config.json");
  if (!existsSync(file)) return false;
  const config = JSON.parse(readFileSync(file, "utf8")) as AgentConfig;
  const res = await fetch(`${url}/api/v1/products/${PRODUCT}/factories/${encodeURIComponent(config.factoryId ?? "")}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  await res.text();
  if (res.status === 404) {
    // Its token, its job records and its workspaces all belong to a coordinator that is gone.
    for (const dir of [stateDir, workDir]) rmSync(dir, { recursive: true, force: true });
    mkdirSync(stateDir, { recursive: true });
    return false;
  }
  moveCoordinator(file, config, url);
  return true;
}

/**
 * Point the agent at this run's coordinator (its `config.json` `url`): PORT may differ, and an agent sends its config
 * file's token only to that file's own origin (agent/credential-checks `token_other_origin`), so `run --url` alone
 * would be refused. The state is the same, so the coordinator is too: this is the "coordinator moved" case, done the
 * way an operator would, by updating the file.
 */
function moveCoordinator(file: string, config: AgentConfig, url: string): void {
  if (config.url === url) return;
  writeFileSync(file, `${JSON.stringify({ ...config, url }, null, 2)}\n`, { mode: 0o600 });
}

/**
 * Deregisters every factory named `name` in the demo product but `savedId` (the one the agent's config names; none
 * when it is enrolled anew). A stop between the coordinator accepting the enrollment code and the agent saving its
 * config (`npm start` ends the enrollment it runs) leaves a factory no agent can ever use — its token was never
 * written down — and the coordinator refuses its name to a new enrollment (`conflict`: already enrolled), so every
 * later start stopped with `demo_failed` until someone deregistered it by hand. Deregistered, not revoked: a revoked
 * factory frees its name but stays listed, a second `demo-docker` in `factories`. The demo product and its `demo-*`
 * names are the demo's own, so nothing else is hit; such a factory never connected, so it holds no job (a deregister
 * would requeue it anyway).
 */
export async function forgetUnsavedFactories(
  url: string,
  token: string,
  name: string,
  savedId: string | undefined,
): Promise<void> {
  const { factories } = (await api(url, token, "GET", "/factories")) as { factories: { id: string; name: string }[] };
  for (const f of factories)
    if (f.name === name && f.id !== savedId) await api(url, token, "DELETE", `/factories/${encodeURIComponent(f.id)}`);
}

/** The factory id the agent's saved config in `stateDir` names; undefined when it has none. */
export function savedFactoryId(stateDir: string): string | undefined {
  const file = path.join(stateDir, "config.json");
  return existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as AgentConfig).factoryId : undefined;
}
