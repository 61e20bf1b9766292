/**
 * @module cli/factory-ref
 * A factory named on the command line by its id or by its name (`factory drain demo-gpu`, an experiment arm's
 * `--b-prefer demo-gpu`): the API takes ids only, and the name is what `factories` and the agent's log show first.
 * A name is resolved through GET …/factories; an unknown or shared name is one `✘ ERROR` that sends nothing else.
 */

import { counted } from "../core/counted.ts";
import type { GigafactoryClient } from "../shared/http-client.ts";
import { echoed } from "./echoed-input.ts";
import { CliError } from "./errors.ts";
import { checked } from "./read-answers.ts";
import { FleetRefsRead } from "./read-answers-ops.ts";

/** Factory ids are `fac_…` (core/ids): such a ref goes to the API as it is, with no listing first. */
const FACTORY_ID = /^fac_[A-Za-z0-9_-]+$/;

/**
 * The id of the factory `ref` names in `fleet`: a listed id stays, a name becomes the id of the one factory so named.
 * `fleet` is a coordinator's answer, checked here whoever read it: its type is only the client's cast, and an entry
 * `{"id": 5, "name": "box"}` of a foreign answer sent `factory drain box` (or an experiment arm's rule) to factory
 * "5" — a change to a factory nobody named.
 * `live`: the name is for a change only a factory not revoked takes (drain, approve, rotate, revoke, a routing rule —
 * the coordinator refuses each of a revoked one), so a revoked factory sharing the name does not make it ambiguous: a
 * host revoked and enrolled again under its name made `factory revoke box-2` "ambiguous". Without it (`factory rm`,
 * which may well mean the revoked record) every factory so named counts.
 * @throws CliError bad_response (an entry without a string id and name), not_found (the fix lists the fleet's names and
 *   ids), or ambiguous (the fix lists the ids).
 */
export function factoryIdIn(
  fleet: ReadonlyArray<{ id: string; name: string; status?: string }>,
  ref: string,
  live = false,
): string {
  checked(FleetRefsRead, { factories: fleet }, "a list of factories");
  if (fleet.some((f) => f.id === ref)) return ref;
  const all = fleet.filter((f) => f.name === ref);
  const notRevoked = all.filter((f) => f.status !== "revoked");
  // Only revoked ones so named: resolved among them, so the coordinator says the factory is revoked.
  const named = live && notRevoked.length > 0 ? notRevoked : all;
  if (named.length === 1) return named[0]!.id;
  if (named.length > 1) {
    // Not resolved to the live one: `factory rm NAME` may well mean the revoked record. Said instead: a host revoked
    // and enrolled again (as `factory revoke` advises) shares its name with its old record.
    const ids = named.map((f) => (f.status ? `${f.id} (${f.status})` : f.id)).join(", ");
    const inService = named.filter((f) => f.status !== undefined && f.status !== "revoked");
    // Said as what each one is, steering to neither: "fac_new is the one not revoked" read as the id to give, and
    // `factory rm` — the one change that reaches here with a live factory so named — removed the host in service
    // when the old revoked record was what a newcomer cleaning up meant.
    const revoked = named.filter((f) => f.status === "revoked").map((f) => f.id);
    const fix =
      inService.length === 1
        ? `give the id of the one you mean: ${inService[0]!.id} is in service (not revoked); ${revoked.join(", ")} ${revoked.length === 1 ? "is" : "are"} revoked`
        : "give the id instead";
    throw new CliError(
      "ambiguous",
      `${counted(named.length, "factory", "factories")} are named ${echoed(ref)}: ${ids}`,
      fix,
    );
  }
  const known = fleet.map((f) => `${f.name} (${f.id})`).join(", ");
  // An empty fleet said "give one of: none enrolled": nothing to give, and not the step that makes one (a code from
  // `enroll` names no factory until its host trades it in).
  const fix = known
    ? `give one of: ${known}`
    : "no factory is enrolled yet: `gigafactory enroll NAME`, then run the command it prints on that host";
  throw new CliError("not_found", `no factory has the name or id ${echoed(ref)}`, fix);
}

/** `ref` as a factory id: an id as it is, a name through the product's factory list (`live`: as `factoryIdIn`). */
export async function factoryId(
  client: Pick<GigafactoryClient, "listFactories">,
  ref: string,
  live = false,
): Promise<string> {
  return FACTORY_ID.test(ref) ? ref : factoryIdIn(await client.listFactories(), ref, live);
}
