/**
 * @module durable-objects/coordinator/rpc/work
 * The coordinator's RPC methods for a factory's work over HTTP (an agent without its socket, or a script): a claim, a
 * fenced report, a lease renewed or released, and the read-only fence check an upload starts with. One layer of the
 * class chain (… ← rpc/batches ← rpc/routing ← rpc/work ← ProductCoordinator); each method is one unit over
 * dispatch/claim, dispatch/lease-ops and jobs/report, whose answer also records the factory's beat (rpc/fleet `beat`).
 * Every write takes the request's credential (`caller`, required), checked live in its unit (runtime/units `runAs`): a
 * factory token rotated away while a report's body streamed changes nothing, though the rotation kept the lease.
 */
import type { Caller } from "../access/tokens.ts";
import { claimOverHttp } from "../dispatch/claim.ts";
import { fence, releaseLease, renewLease } from "../dispatch/lease-ops.ts";
import { type PatchBody, patchJob } from "../jobs/report.ts";
import { RoutingRpc } from "./routing.ts";

export abstract class WorkRpc extends RoutingRpc {
  /** `ttlSeconds`: the factory's own ceiling on the lease TTL, if it named one (core/settings `grantedLeaseTtl`). */
  async claim(productId: string, factoryId: string, ttlSeconds: number | undefined, caller: Caller) {
    return this.units.runAs(caller, productId, (tx) => claimOverHttp(tx, factoryId, ttlSeconds));
  }

  async patch(productId: string, factoryId: string, jobId: string, body: PatchBody, caller: Caller) {
    return this.units.runAs(caller, productId, (tx) => this.beat(tx, factoryId, patchJob(tx, factoryId, jobId, body)));
  }

  /** `ttl`: seconds, the factory's own ceiling on the renewed lease, if it named one (as `claim`'s). */
  async renew(
    productId: string,
    factoryId: string,
    jobId: string,
    epoch: number,
    ttl: number | undefined,
    caller: Caller,
  ) {
    return this.units.runAs(caller, productId, (tx) =>
      this.beat(tx, factoryId, renewLease(tx, jobId, factoryId, epoch, ttl)),
    );
  }

  async release(productId: string, factoryId: string, jobId: string, epoch: number, caller: Caller) {
    return this.units.runAs(caller, productId, (tx) =>
      this.beat(tx, factoryId, releaseLease(tx, jobId, factoryId, epoch)),
    );
  }

  /** Read-only fence check (this lease, this epoch): an upload's early refusal; `commitArtifact`'s is what counts. */
  async checkLease(productId: string, factoryId: string, jobId: string, epoch: number) {
    return this.units.run(productId, (tx) => {
      const job = fence(tx, jobId, factoryId, epoch);
      return { jobId: job.id, leaseEpoch: job.leaseEpoch };
    });
  }
}
