/**
 * @module durable-objects/coordinator/factories/hello
 * A factory's `hello` on its WebSocket, as factories/link greets it: the unit that commits the declaration and a new
 * connection generation (`commitHello`), and the `welcome` frame sent once this socket took the factory over
 * (`welcomeFrame`). Both pure of the socket: link does the takeover between them, with nothing awaited.
 */
import { HEARTBEAT } from "../../../core/lease.ts";
import { grantedLeaseTtl } from "../../../core/settings.ts";
import { type FactoryFrame, FEATURES, PROTOCOL_VERSION, type ServerFrame } from "../../../shared/protocol.ts";
import { heldAssignments } from "../dispatch/held-leases.ts";
import { getSettings, queueVersion } from "../runtime/meta.ts";
import type { Tx } from "../runtime/tx.ts";
import { declareFactory, welcomeGrant } from "./grants.ts";
import { helloCredential } from "./socket-guards.ts";
import type { SocketAttachment } from "./sockets.ts";
import { welcomeStanding } from "./standing.ts";

export type HelloFrame = Extract<FactoryFrame, { type: "hello" }>;

/**
 * HELLO's unit: the factory's declaration (capabilities and seats, bounded by its grant: factories/grants) and a new
 * connection generation, with what its welcome says. Out: `connection` (the generation), `grant` (the welcome's
 * grant and standing), `leases` (held, handed back), `version` (queue version), `productTtl` (s).
 * @throws DomainError unauthorized — the upgrade's token was revoked or rotated, or the factory deregistered.
 */
export function commitHello(tx: Tx, att: SocketAttachment, hello: HelloFrame) {
  const known = helloCredential(tx.sql, att); // the upgrade's token is still the factory's (socket-guards)
  const connection = (known?.connection ?? 0) + 1;
  const declared = declareFactory(
    tx,
    att.factoryId,
    { capabilities: hello.capabilities, seats: hello.seats },
    { engines: hello.engines, agentVersion: hello.agentVersion, lastHeartbeatAt: tx.now, connection },
  );
  return {
    connection,
    // Draining or quarantined: said again, with why, to an agent that connected after its `drain`.
    grant: { ...welcomeGrant(declared), ...welcomeStanding(tx.sql, att.factoryId) },
    leases: heldAssignments(tx, att.factoryId),
    version: queueVersion(tx.sql),
    productTtl: getSettings(tx.sql).leaseTtlSeconds,
  };
}

/** The `welcome` for a hello whose unit committed `done`, of factory `factoryId` in product `productId`. */
export function welcomeFrame(
  productId: string,
  factoryId: string,
  hello: HelloFrame,
  done: ReturnType<typeof commitHello>,
): ServerFrame {
  return {
    type: "welcome",
    v: PROTOCOL_VERSION,
    factoryId,
    productId,
    queueVersion: done.version,
    heartbeatIntervalMs: HEARTBEAT.intervalMs,
    // The product's TTL governs (core/settings `grantedLeaseTtl`): the hello's own only shortens it.
    leaseTtlSeconds: grantedLeaseTtl(done.productTtl, hello.leaseTtlSeconds),
    features: Object.values(FEATURES),
    ...done.grant, // seats it runs (what the router pushes at once), capabilities routed on and pending
    leases: done.leases,
  };
}
