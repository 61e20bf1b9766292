/**
 * The fleet view as the integration tests of a factory's link read it (fleet-connected, fleet-connected-review):
 * one factory of `GET …/factories`, with the fields those tests compare.
 */
import { expect } from "vitest";
import { ADMIN, api, P } from "./client.ts";

/** A factory as the fleet view lists it: the fields a link test compares. */
export interface FleetFactory {
  id: string;
  status: string;
  health: string;
  connected: boolean;
  disconnectedAt: number | null;
}

/** Factory `factoryId` as `GET …/factories` of `product` lists it. @throws Error — it is not listed. */
export async function listed(product: string, factoryId: string): Promise<FleetFactory> {
  const r = await api<{ factories: FleetFactory[] }>("GET", `${P(product)}/factories`, { token: ADMIN });
  expect(r.status).toBe(200);
  const f = r.body.factories.find((x) => x.id === factoryId);
  if (!f) throw new Error(`factory ${factoryId} not listed`);
  return f;
}
