/**
 * @module cli/holder-link
 * Whether a job's holder still has its link, said where `jobs` (WAITING) and `job ID` (holder) show the holder: after
 * a `kill -9` of its agent a job read `building`, HOLDER host-a, WAITING `—`, and `job` said `holder host-a …
 * (expires in 27s)` — only `factories` said host-a's link was lost, while its lease ran out unrenewed. From the fleet
 * list's `connected`/`disconnectedAt` (cli/commands/factories-link `linkWord`), read once with the factories' names.
 */
import { z } from "zod";
import { linkWord } from "./commands/factories-link.ts";
import { type FleetClient, fleetAnswer, NAME_WAIT_MS } from "./factory-names.ts";
import { formatAge, formatLeft } from "./table.ts";

/** A factory's link as the fleet list answers it (each field absent from a coordinator older than it). */
export interface HolderLink {
  connected?: boolean | null;
  disconnectedAt?: number | null;
  lastHeartbeatAt?: number;
  health?: string;
  status?: string;
}

const FleetLinksRead = z.object({
  factories: z.array(
    z.object({
      id: z.string(),
      name: z.string(),
      connected: z.boolean().nullish(),
      disconnectedAt: z.number().nullish(),
      lastHeartbeatAt: z.number().nullish(),
      health: z.string().optional(),
      status: z.string().optional(),
    }),
  ),
});

/** The fleet list, one read: factory id → name (cli/factory-names `factoryNamer`) and id → its link. */
export interface FleetRead {
  names: Map<string, string>;
  links: Map<string, HolderLink>;
}

/**
 * `FleetRead` from the fleet list; both maps empty when it cannot be read (a viewer refused, an older coordinator) or
 * has not answered within `waitMs` (ms; cli/factory-names NAME_WAIT_MS, as every name read): a nicety beside the
 * command's own answer, it held `jobs` and `job` for the whole --timeout (for ever under `--timeout 0`).
 */
export async function fleetRead(client: FleetClient, waitMs = NAME_WAIT_MS): Promise<FleetRead> {
  const read = FleetLinksRead.safeParse(await fleetAnswer(client, waitMs));
  const factories = read.success ? read.data.factories : [];
  return {
    names: new Map(factories.map((f) => [f.id, f.name])),
    links: new Map(
      factories.map(({ lastHeartbeatAt, ...f }) => [f.id, { ...f, lastHeartbeatAt: lastHeartbeatAt ?? undefined }]),
    ),
  };
}

/**
 * "link lost 20s ago" (or "link lost" when its end was not seen), "link closed" for a factory revoked or gone on
 * purpose; undefined while connected, and when the fleet list does not say (an older coordinator, a viewer).
 */
export function holderLinkText(link: HolderLink | undefined, now: number): string | undefined {
  if (!link) return undefined;
  const word = linkWord(link as Parameters<typeof linkWord>[0]);
  if (word === "closed") return "link closed";
  if (word === "never") return "never connected";
  if (word !== "disconnected") return undefined;
  return typeof link.disconnectedAt === "number" ? `link lost ${formatAge(link.disconnectedAt, now)} ago` : "link lost";
}

/**
 * The `jobs` WAITING cell of a held job whose holder lost its link: "host-a: link lost 20s ago; its lease expires in
 * 27s unless its agent comes back" (a restarted agent resumes its leases; else the reaper takes the job back), or
 * undefined when the holder is linked or the list does not say.
 */
export function holderWaitCell(
  holder: string,
  link: HolderLink | undefined,
  leaseExpiresAt: number | undefined,
  now: number,
): string | undefined {
  const lost = holderLinkText(link, now);
  if (lost === undefined) return undefined;
  if (leaseExpiresAt === undefined) return `${holder}: ${lost}`;
  const lease = leaseExpiresAt > now ? `expires in ${formatLeft(leaseExpiresAt - now)}` : "has expired";
  return `${holder}: ${lost}; its lease ${lease} unless its agent comes back`;
}
