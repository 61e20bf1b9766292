/**
 * @module cli/factory-names
 * How the CLI's tables and lines name a factory: by the name it was enrolled under (demo-gpu), as `job ID`, explain
 * and the dashboard do, with its id where two share the name, and its id alone where the fleet list does not name it
 * (a viewer refused, an older coordinator, a factory deregistered since). `jobs`, `job`, `history`, `serial list`
 * and `watch`.
 */
import { FleetRefsRead } from "./read-answers-ops.ts";

/** Factory id → name, from the fleet list; empty when it cannot be read (the command's own reads still answer). */
export async function factoryNames(client: { listFactories(): Promise<unknown> }): Promise<Map<string, string>> {
  try {
    const read = FleetRefsRead.safeParse({ factories: await client.listFactories() });
    return new Map(read.success ? read.data.factories.map((f) => [f.id, f.name]) : []);
  } catch {
    return new Map(); // a viewer refused, an older coordinator: the ids stand
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
