/**
 * @module durable-objects/coordinator/rpc/fleet
 * The coordinator's RPC methods for the factories of the fleet: enrollment, heartbeats, grants, status, token
 * rotation and revocation, deregistration — the layer over `AccessRpc` (rpc/access: tokens, codes, feed access);
 * `PolicyRpc` and `ProductCoordinator` add theirs on top.
 *
 * Each method is one unit whose body is in a store module (access/credentials, factories/admin, factories/registry);
 * here is only what must follow the commit: a retired token's sockets revoked and its feed streams closed (AccessRpc
 * `retiring`), or a dispatch pass when a factory can take more work.
 */
import { retireFactoryToken, rotateFactoryToken } from "../access/credentials.ts";
import type { Caller } from "../access/tokens.ts";
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
import type { Tx } from "../runtime/tx.ts";
import { AccessRpc } from "./access.ts";

export abstract class FleetRpc extends AccessRpc {
  // ---- factories -----------------------------------------------------------------------

  /** `by`: the code used up, or the operator token asking (refused if revoked meanwhile): factories/admin; as listed. */
  async enroll(
    productId: string,
    input: EnrollInput,
    tokenHash: string,
    actor: string,
    by: EnrolledBy | undefined,
    caller: Caller,
  ) {
    return this.units.runAs(caller, productId, (tx) => listedIn(this.ctx, tx, enroll(tx, input, tokenHash, actor, by)));
  }

  async heartbeat(productId: string, factoryId: string, body: HeartbeatInput, caller: Caller) {
    return this.units.runAs(caller, productId, (tx) => heartbeat(tx, factoryId, body, this.linked(factoryId)));
  }

  /** An operator approves declared capabilities (all pending when none are named) and/or sets the seat limit. */
  async approveFactoryGrant(
    productId: string,
    factoryId: string,
    req: { capabilities?: string[]; seatLimit?: number },
    actor: string,
    caller: Caller,
  ) {
    // A connected agent runs what it is granted (welcome `seats`): it is told the new grant in the unit's answer, at
    // the commit — told once the outbox had shipped, a pass another unit ran meanwhile pushed it work for a seat it
    // did not know of yet, which it released ("no free seat").
    const outcome = await this.units.runAs(
      caller,
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
  async rotateFactoryToken(
    productId: string,
    factoryId: string,
    newHash: string,
    actor: string,
    byToken: string | undefined,
    caller: Caller,
  ) {
    // Sockets authenticated with the old token must not outlive it.
    const revoke = { factoryId, reason: "token rotated" };
    const rotate = (tx: Tx) => rotateFactoryToken(tx, factoryId, newHash, actor, byToken, this.linked(factoryId));
    return this.retiring(caller, productId, (tx) => retiredListed(this.ctx, tx, rotate(tx)), revoke);
  }

  async revokeFactoryToken(productId: string, factoryId: string, actor: string, caller: Caller) {
    const revoke = { factoryId, reason: "factory token revoked" };
    const retire = (tx: Tx) => retireFactoryToken(tx, factoryId, actor, this.linked(factoryId));
    return this.retiring(caller, productId, (tx) => retiredListed(this.ctx, tx, retire(tx)), revoke);
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

  async setFactoryStatus(productId: string, factoryId: string, status: AdminStatus, actor: string, caller: Caller) {
    let notice: ReturnType<typeof statusNotice>;
    const outcome = await this.units.runAs(caller, productId, (tx) => {
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

  async deregister(productId: string, factoryId: string, actor: string, caller: Caller) {
    const revoke = { factoryId, reason: "factory deregistered" };
    return this.retiring(caller, productId, (tx) => deregister(tx, factoryId, actor), revoke);
  }
}
