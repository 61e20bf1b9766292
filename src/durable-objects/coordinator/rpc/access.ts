/**
 * @module durable-objects/coordinator/rpc/access
 * The coordinator's RPC methods for credentials: tokens minted, listed and revoked, enrollment codes, the
 * least-privilege checks on feeds (a factory's reads, the streams each token opened, tickets spent), and the unit that
 * retires a credential — the first layer of RPC methods over the composed parts (runtime/composition); `FleetRpc`,
 * `PolicyRpc` and `ProductCoordinator` add theirs on top.
 *
 * Each method is one unit whose body is in a store module (access/credentials, access/feed-readers, access/tokens);
 * here is only what must follow the commit: a retired credential's sockets revoked and the feed streams it opened
 * closed. A write made for a request takes its credential (`caller`), checked live in its unit (runtime/units `runAs`).
 */
import type { Outcome } from "../../../core/errors.ts";
import { ADMIN_OPENER } from "../../feed/revocation.ts";
import {
  auditProductCreation,
  issueEnrollmentCode,
  issueToken,
  retireEnrollmentCode,
  retireToken,
} from "../access/credentials.ts";
import { type CodeGrant, listEnrollmentCodes } from "../access/enrollment.ts";
import { closeFeedRound } from "../access/feed-closings.ts";
import { assertFactoryMayRead, type Retired, recordWatcher, type Watched } from "../access/feed-readers.ts";
import { spendTicket, type TicketUse, unspendTicket } from "../access/spent-tickets.ts";
import { authenticate, type Caller, listTokens, type TokenRole } from "../access/tokens.ts";
import { ComposedCoordinator } from "../runtime/composition.ts";
import type { Tx } from "../runtime/tx.ts";

export abstract class AccessRpc extends ComposedCoordinator {
  // ---- auth ------------------------------------------------------------------------

  /**
   * The admin created this product (worker/products, D1), `createdAt` ms: audited `product.create` once — the Worker
   * calls this on every `POST /api/v1/products`, the existing product's 200 too, so a creation whose call here
   * failed is audited by the retry that follows it, and no retry audits it twice.
   */
  async recordProductCreated(productId: string, createdAt: number) {
    return this.units.run(productId, (tx) => auditProductCreation(tx, createdAt));
  }

  async authenticate(productId: string, tokenHash: string) {
    return this.units.run(productId, (tx) => authenticate(tx.sql, tokenHash, tx.now) ?? null);
  }

  async mintToken(productId: string, role: TokenRole, name: string, hash: string, actor: string, caller: Caller) {
    return this.units.runAs(caller, productId, (tx) => issueToken(tx, role, name, hash, actor));
  }

  async revokeToken(productId: string, id: string, actor: string, caller: Caller) {
    return this.retiring(caller, productId, (tx) => retireToken(tx, id, actor));
  }

  async listTokens(productId: string) {
    return this.units.run(productId, (tx) => listTokens(tx.sql));
  }

  // ---- least privilege: factory reads, live feed streams ------------------------------

  /** Refuses (forbidden) unless the factory holds or held the job (worker/auth `requireJobReader`). */
  async checkFactoryRead(productId: string, factoryId: string, jobId: string) {
    return this.units.run(productId, (tx) => {
      assertFactoryMayRead(tx.sql, factoryId, jobId);
      return true;
    });
  }

  /**
   * A feed stream of `jobId` is opening with the token of this hash (or the admin's, `ADMIN_OPENER`): remember it
   * for revocation, and use up the ticket it was opened with, if any (one unit: refused together or done together).
   */
  async recordFeedWatcher(productId: string, jobId: string, tokenHash: string, ticket?: TicketUse) {
    return this.units.run(productId, (tx) => {
      if (ticket) spendTicket(tx, ticket);
      if (tokenHash !== ADMIN_OPENER) recordWatcher(tx, tokenHash, jobId);
      return true;
    });
  }

  /** The stream a ticket was spent for was refused by the job's feed: the ticket is unused again (access/spent-tickets). */
  async unspendFeedTicket(productId: string, ticketHash: string) {
    return this.units.run(productId, (tx) => unspendTicket(tx, ticketHash));
  }

  // ---- enrollment codes --------------------------------------------------------------

  /** `mintedByToken`: the operator token's id, when one mints it — the code is revoked with that token. */
  async mintEnrollmentCode(
    productId: string,
    hash: string,
    ttlSeconds: number,
    actor: string,
    grant: CodeGrant | undefined,
    mintedByToken: string | undefined,
    caller: Caller,
  ) {
    return this.units.runAs(caller, productId, (tx) =>
      issueEnrollmentCode(tx, hash, ttlSeconds, actor, grant, mintedByToken),
    );
  }

  async listEnrollmentCodes(productId: string) {
    return this.units.run(productId, (tx) => listEnrollmentCodes(tx.sql, tx.now));
  }

  /** One unit, as `enroll`'s exchange is: a code revoked here is refused by every exchange that runs after. */
  async revokeEnrollmentCode(productId: string, id: string, actor: string, caller: Caller) {
    return this.units.runAs(caller, productId, (tx) => retireEnrollmentCode(tx, id, actor));
  }

  /**
   * A unit that retires a credential (coordinator/access/credentials, factories/admin `deregister`). Once it has
   * committed: the factory's sockets (if `revoke` names one) are sent a `cancel` for each job taken from it (the stop
   * notices the unit wrote: dispatch/forced-loss), told and closed, then the feed streams the
   * credential opened are closed — a page of its feeds, awaited, so a call for a credential that watched a few
   * returns after they are gone; the alarm closes the rest a page per invocation (access/feed-closings).
   *
   * The sockets close in the unit's answer, synchronously after its commit: before the dispatch pass the unit may
   * cause and before the outbox ships. Closed after `run` returned (the outbox shipped, awaited), frames on them in
   * that wait were still applied as the factory's, and a pass could push work to them. The units that end the old
   * token also end its connection generation (factories/link-ends `setFactoryToken`): a frame is refused at commit.
   */
  protected async retiring<T>(
    caller: Caller,
    productId: string,
    fn: (tx: Tx) => Retired<T>,
    revoke?: { factoryId: string; reason: string },
  ): Promise<Outcome<T>> {
    let watched: Watched | undefined;
    const outcome = await this.units.runAs(
      caller,
      productId,
      (tx) => {
        const retired = fn(tx);
        watched = retired.watched;
        return retired.value;
      },
      (done) => {
        if (!done.ok || !revoke) return;
        this.tellStoppedAtOnce(); // each job taken from it: its `cancel`, while its sockets are still open
        this.link.notify(revoke.factoryId, { type: "revoke", reason: revoke.reason }, true);
      },
    );
    if (outcome.ok && watched?.queued) await closeFeedRound(this.env, this.units, productId, watched.hash);
    return outcome;
  }
}
