/**
 * @module cli/factory-names
 * How the CLI's tables and lines name a factory: by the name it was enrolled under (demo-gpu), as `job ID`, explain
 * and the dashboard do, with its id where two share the name, and its id alone where the fleet list does not name it
 * (a viewer refused, an older coordinator, a factory deregistered since, a fleet read slower than NAME_WAIT_MS).
 * `jobs`, `job`, `history`, `serial list`, `routing recs|rules|apply|unapply` and `watch` (cli/watch-names).
 */
import { afterPoll } from "../shared/after-poll.ts";
import { deadline } from "../shared/deadline.ts";
import type { GigafactoryClient } from "../shared/http-client.ts";
import { type Env, waitMsFromEnv } from "./config.ts";
import { FleetRefsRead } from "./read-answers-ops.ts";

/**
 * 3 s: the longest a table or a line waits for the fleet list that names its factories, then it shows their ids. The
 * names are a nicety: a hung fleet read held a ✔ line (`routing apply`) or a watched lease line for the whole
 * --timeout (30 s; for ever under `--timeout 0`), while the command's own answer was already there.
 */
export const NAME_WAIT_MS = 3_000;

/**
 * The name wait of a command run with `env`, ms: NAME_WAIT_MS, or GIGAFACTORY_NAME_WAIT_MS where it is a whole number of
 * ms (cli/config waitMsFromEnv) — tests' override, so that proving a line stops waiting does not take 3 s a command.
 */
export const nameWaitMs = (env: Env): number => waitMsFromEnv(env, "GIGAFACTORY_NAME_WAIT_MS", NAME_WAIT_MS);

/** The client calls a fleet read makes: the one GET, abortable. */
export type FleetClient = Pick<GigafactoryClient, "send" | "productUrl">;

/** One fleet read in flight: `answer` settles with id → name (empty when refused, failed or aborted), never rejects. */
export interface FleetRead {
  answer: Promise<Map<string, string>>;
  /** Drop the read (its connection too): `answer` then settles empty, unless it had settled already. */
  abort(): void;
}

/**
 * The fleet list's answer (GET …/factories, unchecked: the caller's schema reads it), or undefined when it is refused,
 * fails, or has not answered within `waitMs` (ms; the read is then dropped, its connection too). `jobs` and `job`
 * read the holders' links with it (cli/holder-link `fleetRead`): they waited the whole --timeout for it.
 */
export async function fleetAnswer(client: FleetClient, waitMs = NAME_WAIT_MS): Promise<unknown> {
  // Given up after a poll (shared/deadline): with the loop held past `waitMs`, a list already in the socket was dropped
  // and the table showed ids the answer named.
  const bound = deadline(waitMs, () => new Error(`no fleet list within ${waitMs} ms`));
  try {
    const res = await client.send("GET", client.productUrl("/factories"), { signal: bound.signal });
    return await res.json();
  } catch {
    return undefined; // a viewer refused, an older coordinator, a read given up: the ids stand
  } finally {
    bound.stop();
  }
}

/** Start reading the fleet list (GET …/factories) for its names; see FleetRead. */
export function readFleetNames(client: FleetClient): FleetRead {
  const stop = new AbortController();
  const answer = (async () => {
    try {
      const res = await client.send("GET", client.productUrl("/factories"), { signal: stop.signal });
      const read = FleetRefsRead.safeParse(await res.json());
      return new Map(read.success ? read.data.factories.map((f) => [f.id, f.name]) : []);
    } catch {
      return new Map<string, string>(); // a viewer refused, an older coordinator, a read given up: the ids stand
    }
  })();
  return { answer, abort: () => stop.abort() };
}

/**
 * Factory id → name, from the fleet list; empty when it cannot be read within `waitMs` (ms; the command's own reads
 * still answer, and name by id).
 */
export async function factoryNames(client: FleetClient, waitMs = NAME_WAIT_MS): Promise<Map<string, string>> {
  const read = readFleetNames(client);
  // After a poll (shared/after-poll): a list already in the socket is read first; an abort after the answer settled
  // changes nothing (FleetRead).
  const bound = setTimeout(afterPoll(read.abort), waitMs);
  try {
    return await read.answer;
  } finally {
    clearTimeout(bound);
  }
}

/**
 * The label of factory `id` by `names` (factoryNames): its name; `name (id)` when another factory has that name too
 * (a host revoked and enrolled again under it); `id` when the list does not name it.
 */
export function factoryNamer(names: ReadonlyMap<string, string>): (id: string) => string {
  const taken = [...names.values()];
  return (id) => {
    const name = names.get(id);
    if (name === undefined) return id;
    return taken.indexOf(name) === taken.lastIndexOf(name) ? name : `${name} (${id})`;
  };
}

/**
 * `text` (the server's sentence about factory `id`, e.g. a recommendation's finding) with each `id` in it said as
 * `named` says it: "codex on fac_0mxc6m72… fails 41 %" reads "codex on demo-gpu fails 41 %". Only a whole token is
 * replaced (not one inside a longer id).
 */
export function namedIn(text: string, id: string, named: (id: string) => string): string {
  const label = named(id);
  if (id === "" || label === id) return text;
  const escaped = id.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return text.replace(new RegExp(`(?<![\\w-])${escaped}(?![\\w-])`, "g"), () => label);
}
