/**
 * @module dashboard/fleet-seats
 * Which factories' seats the coordinator counts (active, up: not down, left nor never connected — core/metrics), and
 * the leases held by the others: a factory that went down holding a lease keeps it until it expires. The metrics'
 * `seats.busy` counts every live lease and `seats.total` only the counted seats, so the header's tile read "1/1 seats
 * busy, 100 %" where the Fleet line read "0 of 1 seat busy · 1 more job held by factories down" (pass 43): both say
 * these leases apart, from this one rule.
 */

/** A factory that has never said hello nor heartbeated since enrollment. @param {any} f */
export const neverConnected = (f) => f.lastHeartbeatAt === undefined || f.lastHeartbeatAt === null;

/** Whether a factory's seats are counted: active and up. @param {any} f a Factory as GET …/factories lists it */
export const seatsCounted = (f) =>
  f.status === "active" && f.health !== "down" && f.health !== "left" && !neverConnected(f);

/**
 * The leases held by factories whose seats are not counted, and why theirs are not ("down", "down, draining").
 * @param {any[]} factories GET …/factories `factories`
 * @returns {{ jobs: number, why: string }} `jobs`: leases (each a job's), 0 and "" when none
 */
export function heldAway(factories) {
  const holders = factories.filter((f) => f.load > 0 && !seatsCounted(f));
  const jobs = holders.reduce((n, f) => n + f.load, 0);
  const why = [...new Set(holders.map((f) => (f.status === "active" ? f.health : f.status)))].sort().join(", ");
  return { jobs, why };
}
