/**
 * @module shared/http-client-fleet
 * The REST client's endpoints above and around jobs: the coordinator's liveness, products (admin), factories and
 * their tokens (operators), operator and viewer tokens (admin), and a factory's own work — claim, fenced report,
 * lease, heartbeat. shared/http-client's `GigafactoryClient` extends `FleetClient` with the job endpoints; importers
 * use that module.
 */
import type { z } from "zod";
import type { BreakerResetSchema } from "./api-metrics.ts";
import type { PatchJobBody } from "./api-work.ts";
import { ApiClientBase } from "./http-client-base.ts";
import type {
  Enrolled,
  EnrollmentCodeListed,
  EnrollmentCodeRevoked,
  Factory,
  FactoryWithBreakers,
  Job,
  Lease,
  ProductInfo,
  TokenInfo,
} from "./http-client-types.ts";

export class FleetClient extends ApiClientBase {
  /** Unauthenticated liveness of the coordinator and its D1. */
  async health(): Promise<{ status: string; d1: string; at: string }> {
    return (await (await this.send("GET", `${this.url}/api/v1/health`)).json()) as {
      status: string;
      d1: string;
      at: string;
    };
  }

  // ---- products: admin, above any one product ----

  /** Create product `id` (idempotent); `created` is false when it already existed (200). */
  async createProduct(id: string): Promise<{ product: ProductInfo; created: boolean }> {
    const res = await this.send("POST", `${this.url}/api/v1/products`, { json: { id } });
    return { product: (await res.json()) as ProductInfo, created: res.status === 201 };
  }

  async listProducts(): Promise<ProductInfo[]> {
    const res = await this.send("GET", `${this.url}/api/v1/products`);
    return ((await res.json()) as { products: ProductInfo[] }).products;
  }

  // ---- fleet: operators ----

  /** The token in the answer is shown once; the server keeps only its hash. */
  enroll(body: { name: string; capabilities?: string[]; seats?: number }): Promise<Enrolled> {
    return this.call("POST", "/factories/enroll", { json: body });
  }
  /**
   * A one-time code the agent on the host exchanges for its own factory token; `name` and `seats` bind it (only
   * that host may redeem it, with at most those seats).
   */
  mintEnrollmentCode(
    body: { ttlSeconds?: number; name?: string; seats?: number } = {},
  ): Promise<{ id: string; code: string; expiresAt: number }> {
    return this.call("POST", "/factories/enrollment-codes", { json: body });
  }
  // The list readers unwrap with `?.`: a `null` answer (another service's) gives undefined for the caller's answer
  // check to refuse (cli/read-answers: bad_response), not a TypeError here, reported as a CLI bug.
  async listFactories(): Promise<FactoryWithBreakers[]> {
    return (await this.call<{ factories: FactoryWithBreakers[] } | null>("GET", "/factories"))
      ?.factories as FactoryWithBreakers[];
  }
  /** Return a quarantined factory to active (operator; issue 9); `changed: false` when it was active already. */
  releaseFactory(id: string): Promise<FactoryWithBreakers & { changed?: boolean }> {
    return this.call("POST", `/factories/${enc(id)}/release`);
  }
  /**
   * Close one breaker of a factory now (operator): `engine` a name, or `*` for the factory's default engine. Answers
   * the breaker, closed with no failures, and `changed: false` when it was so already.
   */
  resetBreaker(factoryId: string, engine: string): Promise<z.infer<typeof BreakerResetSchema>> {
    return this.call("POST", `/factories/${enc(factoryId)}/breakers/${enc(engine)}/reset`);
  }
  getFactory(id: string): Promise<Factory> {
    return this.call("GET", `/factories/${enc(id)}`);
  }
  /** `changed: false` when it had that status already (absent from older coordinators). */
  setFactoryStatus(
    id: string,
    status: "active" | "draining" | "quarantined",
  ): Promise<Factory & { changed?: boolean }> {
    return this.call("POST", `/factories/${enc(id)}/status`, { json: { status } });
  }
  /**
   * Approve declared capabilities (all pending when none are named) and/or set the seat limit. `changed: false`
   * when nothing was pending and the limit is unchanged (absent from older coordinators).
   */
  approveFactoryGrant(
    id: string,
    body: { capabilities?: string[]; seatLimit?: number } = {},
  ): Promise<Factory & { changed?: boolean }> {
    return this.call("POST", `/factories/${enc(id)}/capabilities/approve`, { json: body });
  }
  async listEnrollmentCodes(): Promise<EnrollmentCodeListed[]> {
    return (await this.call<{ codes: EnrollmentCodeListed[] } | null>("GET", "/factories/enrollment-codes"))
      ?.codes as EnrollmentCodeListed[];
  }
  /** 404 not_found for an unknown (or pruned) code; `changed: false` for one already used, expired or revoked. */
  revokeEnrollmentCode(id: string): Promise<EnrollmentCodeRevoked> {
    return this.call("DELETE", `/factories/enrollment-codes/${enc(id)}`);
  }
  rotateFactoryToken(id: string): Promise<Enrolled> {
    return this.call("POST", `/factories/${enc(id)}/token/rotate`);
  }
  /** `changed: false` when it was revoked already (absent from older coordinators). */
  revokeFactoryToken(id: string): Promise<Factory & { changed?: boolean }> {
    return this.call("POST", `/factories/${enc(id)}/token/revoke`);
  }
  deregisterFactory(id: string): Promise<{ requeued: number }> {
    return this.call("DELETE", `/factories/${enc(id)}`);
  }

  // ---- tokens: admin ----

  mintToken(body: { role: "operator" | "viewer"; name: string }): Promise<TokenInfo & { token: string }> {
    return this.call("POST", "/tokens", { json: body });
  }
  async listTokens(): Promise<TokenInfo[]> {
    return (await this.call<{ tokens: TokenInfo[] } | null>("GET", "/tokens"))?.tokens as TokenInfo[];
  }
  revokeToken(id: string): Promise<TokenInfo> {
    return this.call("DELETE", `/tokens/${enc(id)}`);
  }

  // ---- work: factory tokens ----

  /** The next job for this factory with its lease, or null when there is none (204). */
  async claim(body: { leaseTtlSeconds?: number } = {}): Promise<{ job: Job; lease: Lease } | null> {
    const res = await this.send("POST", this.productUrl("/claim"), { json: body });
    return res.status === 204 ? null : ((await res.json()) as { job: Job; lease: Lease });
  }
  patchJob(id: string, body: z.input<typeof PatchJobBody>): Promise<Job> {
    return this.call("PATCH", `/jobs/${enc(id)}`, { json: body });
  }
  renewLease(id: string, body: { leaseEpoch: number; leaseTtlSeconds?: number }): Promise<Lease> {
    return this.call("POST", `/jobs/${enc(id)}/lease/renew`, { json: body });
  }
  releaseLease(id: string, body: { leaseEpoch: number }): Promise<Job> {
    return this.call("POST", `/jobs/${enc(id)}/lease/release`, { json: body });
  }
  heartbeat(
    body: { capabilities?: string[]; seats?: number } = {},
  ): Promise<{ factory: Factory; queueVersion: number; leases: Lease[] }> {
    return this.call("POST", "/factories/heartbeat", { json: body });
  }
}

const enc = encodeURIComponent;
