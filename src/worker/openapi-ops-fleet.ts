/**
 * @module worker/openapi-ops-fleet
 * The fleet operations of the OpenAPI document: factories, tokens, and what an agent connects to. Bulk intake is in
 * worker/openapi-ops-intake, dead letters in worker/openapi-ops-dead-letters.
 */
import {
  ApproveGrantBody,
  EnrollBody,
  EnrollmentCodeBody,
  FactoryStatusBody,
  HeartbeatBody,
  MintTokenBody,
} from "../shared/api.ts";
import * as A from "../shared/api-fleet-answers.ts";
import {
  EnrolledSchema,
  FactoryApproveAnswerSchema,
  FactoryChangedSchema,
  FactoryListSchema,
  FactorySchema,
  MintedTokenSchema,
  TokenInfoSchema,
} from "../shared/api-responses.ts";
import { type Op, P } from "./openapi-ops.ts";
import { json, SWITCHING } from "./openapi-schemas.ts";

/** Enrolling, watching and governing factories. */
export const FACTORY_OPS: Op[] = [
  {
    method: "post",
    path: `${P}/factories/enroll`,
    operationId: "enrollFactory",
    summary: "Enroll a factory; returns its token once",
    description:
      "Enroll a factory; returns its token once. An operator enrolls directly; an agent with a one-time enrollment " +
      "code as its bearer token (used up by the call). An agent that sent a `nonce` with the code and lost the answer " +
      "(killed before it saved the token) sends the same code and nonce again, within an hour and the code's " +
      "lifetime: the factory that call enrolled is answered again with a NEW token (the first one stops working), " +
      "`resumed: true`, audited `factory.enroll.resume`. Refused 401 without that nonce, and once the factory has " +
      "connected, or was deregistered or its token rotated since",
    role: "enrollment",
    body: EnrollBody,
    ok: {
      "201": json(
        "The factory as the list gives it (its link, its breakers) and its token (shown this once)",
        EnrolledSchema,
      ),
    },
  },
  {
    method: "post",
    path: `${P}/factories/heartbeat`,
    operationId: "sendHeartbeat",
    summary: "Factory heartbeat; returns live leases and the queue version",
    description:
      "Factory heartbeat; returns live leases and queue version. Declared capabilities beyond the grant stay pending; seats are capped by the seat limit",
    role: "factory",
    body: HeartbeatBody,
    bodyOptional: true,
    ok: { "200": json("The factory as now recorded, the queue version and its live leases", A.HeartbeatAnswerSchema) },
  },
  {
    method: "get",
    path: `${P}/factories`,
    operationId: "listFactories",
    summary: "List factories",
    description:
      "Every factory with its heartbeat `health` and its link: `connected` (a greeted WebSocket of its agent is open " +
      "now, read from the coordinator's socket set: false at once when it closes, where health turns `down` only " +
      "after 3 missed heartbeats) and `disconnectedAt` (when that end was seen, or null)",
    role: "viewer",
    ok: { "200": json("Every factory", FactoryListSchema) },
  },
  {
    method: "get",
    path: `${P}/factories/{factoryId}`,
    operationId: "getFactory",
    summary: "One factory",
    description:
      "One factory, as the list gives it: its breakers, its heartbeat `health`, and `connected` / `disconnectedAt`",
    role: "viewer",
    ok: { "200": json("The factory", FactorySchema) },
  },
  {
    method: "post",
    path: `${P}/factories/{factoryId}/status`,
    operationId: "setFactoryStatus",
    summary: "Drain, quarantine or reactivate a factory",
    description:
      "Drain, quarantine or reactivate; a quarantined factory set active or draining is released as by …/release (error window cleared, factory_quarantined resolved, audited factory.release). The status it has already is a no-op: `changed: false`, nothing written or audited, its first reason kept, its agent not told again; 409 conflict for a revoked factory",
    role: "operator",
    body: FactoryStatusBody,
    ok: {
      "200": json(
        "The factory as the list gives it now (its breakers and its link), and whether anything changed",
        FactoryChangedSchema,
      ),
    },
  },
  {
    method: "post",
    path: `${P}/factories/{factoryId}/capabilities/approve`,
    operationId: "approveFactoryCapabilities",
    summary: "Approve declared capabilities beyond the grant and/or set the seat limit",
    description:
      "Approve capabilities the factory declared beyond its grant (all pending when none named) and/or set its seat " +
      "limit; audited. Idempotent: with nothing pending and no new limit it answers `changed: false` (nothing written). " +
      "409 conflict for a revoked factory (nothing is granted to it)",
    role: "operator",
    body: ApproveGrantBody,
    bodyOptional: true,
    ok: {
      "200": json(
        "The factory as the list gives it now (breakers, link), and whether anything changed",
        FactoryApproveAnswerSchema,
      ),
    },
  },
  {
    method: "post",
    path: `${P}/factories/{factoryId}/token/rotate`,
    operationId: "rotateFactoryToken",
    summary: "New token; the old one stops working at once",
    role: "operator",
    ok: {
      "200": json(
        "The factory as the list gives it (disconnected: the rotation closed its sockets) and its new token (shown this once)",
        EnrolledSchema,
      ),
    },
  },
  {
    method: "post",
    path: `${P}/factories/{factoryId}/token/revoke`,
    operationId: "revokeFactoryToken",
    summary: "Revoke a factory's token; its live leases are requeued",
    description:
      "Revoke; live leases are requeued, and learned routing forgets it (its track records, the rules naming it, " +
      "the experiments it changes stopped). A factory revoked already: `changed: false`, nothing done or audited again",
    role: "operator",
    ok: {
      "200": json(
        "The factory, revoked (or already: `changed: false`), as the list gives it (its breakers; its link ended)",
        FactoryChangedSchema,
      ),
    },
  },
  {
    method: "delete",
    path: `${P}/factories/{factoryId}`,
    operationId: "deregisterFactory",
    summary: "Deregister a factory; its live leases are requeued",
    description:
      "Deregister; live leases are requeued, and learned routing forgets it (its track records, the rules naming " +
      "it, the experiments it changes stopped)",
    role: "operator",
    ok: { "200": json("How many live leases were requeued", A.DeregisteredSchema) },
  },
];

/** Operator and viewer tokens. */
export const TOKEN_OPS: Op[] = [
  {
    method: "post",
    path: `${P}/tokens`,
    operationId: "mintToken",
    summary: "Mint an operator or viewer token",
    role: "admin",
    body: MintTokenBody,
    ok: { "201": json("The token's record and its secret (shown this once)", MintedTokenSchema) },
  },
  {
    method: "get",
    path: `${P}/tokens`,
    operationId: "listTokens",
    summary: "List tokens (never their secrets)",
    role: "admin",
    ok: { "200": json("Every token's record", A.TokenListSchema) },
  },
  {
    method: "delete",
    path: `${P}/tokens/{tokenId}`,
    operationId: "revokeToken",
    summary: "Revoke a token at once, with its feed streams and unused enrollment codes",
    description:
      "Revoke a token: at once, its feed streams closed and the enrollment codes it minted that were still unused " +
      "revoked with it (counted in the token.revoke audit entry)",
    role: "admin",
    ok: { "200": json("The token's record, revoked", TokenInfoSchema) },
  },
];

/** What an agent uses besides REST: its WebSocket, enrollment codes, the queue version. */
export const AGENT_OPS: Op[] = [
  {
    method: "get",
    path: `${P}/factories/connect`,
    operationId: "connectFactory",
    summary: "Factory WebSocket (protocol v1)",
    description:
      "Factory WebSocket (protocol v1, see src/shared/protocol.ts); 426 upgrade_required without `Upgrade: websocket`",
    role: "factory",
    ok: { "101": SWITCHING },
  },
  {
    method: "post",
    path: `${P}/factories/enrollment-codes`,
    operationId: "createEnrollmentCode",
    summary: "A one-time enrollment code for an agent",
    description:
      "A one-time enrollment code for an agent. At most 1,000 codes are live in a product at once: past that, 429 " +
      "limit_exceeded (`max`) until one is revoked, used or expired",
    role: "operator",
    body: EnrollmentCodeBody,
    bodyOptional: true,
    ok: { "201": json("The code (shown this once) and when it expires", A.EnrollmentCodeSchema) },
  },
  {
    method: "get",
    path: `${P}/factories/enrollment-codes`,
    operationId: "listEnrollmentCodes",
    summary: "The enrollment codes that can still be exchanged",
    description: "The enrollment codes that can still be exchanged (never the code itself: only its hash is kept)",
    role: "operator",
    ok: { "200": json("Unused, unrevoked, unexpired codes, oldest first", A.EnrollmentCodeListSchema) },
  },
  {
    method: "delete",
    path: `${P}/factories/enrollment-codes/{codeId}`,
    operationId: "revokeEnrollmentCode",
    summary: "Revoke an enrollment code (idempotent)",
    description:
      "Revoke an enrollment code: refused at exchange from now on. Idempotent: an already used, expired or revoked " +
      "code answers changed:false with its state; 404 for an unknown (or pruned) code",
    role: "operator",
    ok: { "200": json("Whether this call revoked it, and its state", A.EnrollmentCodeRevokedSchema) },
  },
  {
    method: "get",
    path: `${P}/queue-state`,
    operationId: "getQueueState",
    summary: "The queue version (cheap change detection)",
    role: "member",
    ok: { "200": json("The queue version", A.QueueStateSchema) },
  },
];
