/**
 * @module durable-objects/coordinator/rpc/fleet
 * The coordinator's RPC methods for who may act: tokens, enrollment, the factories of the fleet and the
 * least-privilege checks on feeds, as the first layer of RPC methods over the composed parts
 * (runtime/composition); `PolicyRpc` and `ProductCoordinator` add theirs on top.
 *
 * Each method is one unit whose body is in a store module (access/credentials, factories/admin, access/feed-readers,
 * access/tokens, factories/registry); here is only what must follow the commit: a retired credential's sockets
 * revoked and the feed streams it opened closed, or a dispatch pass when a factory can take more work.
 */
import type { Outcome } from "../../../core/errors.ts";
import { ADMIN_OPENER } from "../../feed/revocation.ts";
import {
  auditProductCreation,
  issueEnrollmentCode,
  issueToken,
  retireEnrollmentCode,
  retireFactoryToken,
  retireToken,
  rotateFactoryToken,
} from "../access/credentials.ts";
import { type CodeGrant, listEnrollmentCodes } from "../access/enrollment.ts";
import { closeFeedRound } from "../access/feed-closings.ts";
import { assertFactoryMayRead, type Retired, recordWatcher, type Watched } from "../access/feed-readers.ts";
import { spendTicket, type TicketUse, unspendTicket } from "../access/spent-tickets.ts";
import { authenticate, type Caller, listTokens, type TokenRole } from "../access/tokens.ts";
import {
  type AdminStatus,
  approveFactoryGrant,
  deregister,
  type EnrolledBy,
  type EnrollInput,
  enroll,
  type HeartbeatInput,
  heartbeat,
  setFactoryStatus,
} from "../factories/admin.ts";
import { fleetFactory, linkedFactoryIds, listedIn, retiredListed } from "../factories/fleet-view.ts";
import { seatGrant } from "../factories/grants.ts";
import { httpBeat, listFactories, readFactory, requireFactory } from "../factories/registry.ts";
import { statusNotice } from "../factories/standing.ts";
import { ComposedCoordinator } from "../runtime/composition.ts";
import type { Tx } from "../runtime/tx.ts";

export abstract class FleetRpc extends ComposedCoordinator {
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

  async mintToken(productId: string, role: TokenRole, name: string, hash: string, actor: string) {
    return this.units.run(productId, (tx) => issueToken(tx, role, name, hash, actor));
  }

  async revokeToken(productId: string, id: string, actor: string) {
    return this.retiring(productId, (tx) => retireToken(tx, id, actor));
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

  // ---- factories -----------------------------------------------------------------------

  /** `by`: the code used up, or the operator token asking (refused if revoked meanwhile): factories/admin; as listed. */
  async enroll(productId: string, input: EnrollInput, tokenHash: string, actor: string, by?: EnrolledBy) {
    return this.units.run(productId, (tx) => listedIn(this.ctx, tx, enroll(tx, input, tokenHash, actor, by)));
  }

  /** `mintedByToken`: the operator token's id, when one mints it — the code is revoked with that token. */
  async mintEnrollmentCode(
    productId: string,
    hash: string,
    ttlSeconds: number,
    actor: string,
    grant?: CodeGrant,
    mintedByToken?: string,
  ) {
    return this.units.run(productId, (tx) => issueEnrollmentCode(tx, hash, ttlSeconds, actor, grant, mintedByToken));
  }

  async listEnrollmentCodes(productId: string) {
    return this.units.run(productId, (tx) => listEnrollmentCodes(tx.sql, tx.now));
  }

  /** One unit, as `enroll`'s exchange is: a code revoked here is refused by every exchange that runs after. */
  async revokeEnrollmentCode(productId: string, id: string, actor: string) {
    return this.units.run(productId, (tx) => retireEnrollmentCode(tx, id, actor));
  }

  async heartbeat(productId: string, factoryId: string, body: HeartbeatInput, caller?: Caller) {
    return this.units.runAs(caller, productId, (tx) => heartbeat(tx, factoryId, body, this.linked(factoryId)));
  }

  /** An operator approves declared capabilities (all pending when none are named) and/or sets the seat limit. */
  async approveFactoryGrant(
    productId: string,
    factoryId: string,
    req: { capabilities?: string[]; seatLimit?: number },
    actor: string,
  ) {
    // A connected agent runs what it is granted (welcome `seats`): it is told the new grant in the unit's answer, at
    // the commit — told once the outbox had shipped, a pass another unit ran meanwhile pushed it work for a seat it
    // did not know of yet, which it released ("no free seat").
    const outcome = await this.units.run(
      productId,
      (tx) => fleetFactory(this.ctx, tx.sql, approveFactoryGrant(tx, factoryId, req, actor), tx.now), // its link too
      (done) => {
        if (!done.ok || !done.value.changed || req.seatLimit === undefined) return;
        this.link.notify(factoryId, { type: "grant", ...seatGrant(done.value) });
      },
    );
    // Newly routable capabilities may fit queued jobs: offer them now (no stage moved, so unit did not). A no-op
    // (`changed: false`) granted nothing new.
    if (outcome.ok && outcome.value.changed) {
      this.link.requestDispatch(); // throttled: a pass that throws is logged, never thrown at this committed grant
      await this.units.settle();
    }
    return outcome;
  }

  async listFactories(productId: string) {
    return this.units.run(productId, (tx) => listFactories(tx.sql, tx.now));
  }

  async getFactory(productId: string, factoryId: string) {
    return this.units.run(productId, (tx) => requireFactory(tx.sql, factoryId, tx.now));
  }

  /** `byToken`: the operator token asking, if one did — refused if it was revoked meanwhile (access/credentials). */
  async rotateFactoryToken(productId: string, factoryId: string, newHash: string, actor: string, byToken?: string) {
    // Sockets authenticated with the old token must not outlive it.
    const revoke = { factoryId, reason: "token rotated" };
    const rotate = (tx: Tx) => rotateFactoryToken(tx, factoryId, newHash, actor, byToken, this.linked(factoryId));
    return this.retiring(productId, (tx) => retiredListed(this.ctx, tx, rotate(tx)), revoke);
  }

  async revokeFactoryToken(productId: string, factoryId: string, actor: string) {
    const revoke = { factoryId, reason: "factory token revoked" };
    const retire = (tx: Tx) => retireFactoryToken(tx, factoryId, actor, this.linked(factoryId));
    return this.retiring(productId, (tx) => retiredListed(this.ctx, tx, retire(tx)), revoke);
  }

  /** Whether a greeted socket of the factory is open now: its link's end, if a unit ends it, is seen now. */
  private linked(factoryId: string): boolean {
    return linkedFactoryIds(this.ctx, factoryId).has(factoryId);
  }

  /**
   * `answer`, what a factory's fenced HTTP call (a renewal, a report, a release) computed in unit `tx`, once its beat
   * is written (factories/registry `httpBeat`): a poll, unless its socket is open here — then only a beat.
   */
  protected beat<T>(tx: Tx, factoryId: string, answer: T): T {
    return httpBeat(tx, factoryId, answer, this.linked(factoryId));
  }

  async setFactoryStatus(productId: string, factoryId: string, status: AdminStatus, actor: string) {
    let notice: ReturnType<typeof statusNotice>;
    const outcome = await this.units.run(productId, (tx) => {
      const from = readFactory(tx.sql, factoryId)?.status;
      const f = setFactoryStatus(tx, factoryId, status, actor);
      notice = f.changed ? statusNotice(from, status, actor) : undefined; // already so: its agent heard it then
      return fleetFactory(this.ctx, tx.sql, f, tx.now); // with its link and breakers, as the list shows it
    });
    // Its agent hears the change (factories/standing): a `drain` saying its status, or `active` when work comes again.
    if (outcome.ok && notice) this.link.notify(factoryId, notice);
    if (outcome.ok && outcome.value.changed && status === "active") this.link.requestDispatch(); // a failed pass: logged, not this answer's
    return outcome;
  }

  async deregister(productId: string, factoryId: string, actor: string) {
    const revoke = { factoryId, reason: "factory deregistered" };
    return this.retiring(productId, (tx) => deregister(tx, factoryId, actor), revoke);
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
  private async retiring<T>(
    productId: string,
    fn: (tx: Tx) => Retired<T>,
    revoke?: { factoryId: string; reason: string },
  ): Promise<Outcome<T>> {
    let watched: Watched | undefined;
    const outcome = await this.units.run(
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
