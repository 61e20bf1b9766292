/**
 * @module worker/openapi-ops-whoami
 * `GET …/whoami` in the OpenAPI document: who the request's token is on the product (worker/routes/whoami). Listed
 * with the document's meta operations (worker/openapi-ops META_OPS); its path is spelt out, not built from that
 * file's `P`, which imports this one.
 */
import { WhoamiSchema } from "../shared/api-whoami.ts";
import type { Op } from "./openapi-ops.ts";
import { json } from "./openapi-schemas.ts";

export const WHOAMI_OP: Op = {
  method: "get",
  path: "/api/v1/products/{productId}/whoami",
  operationId: "whoami",
  summary: "Who this token is on the product: its role and how the audit log names it",
  description:
    "Who the bearer token is on the product: {product, role (admin | operator | viewer | factory), actor (as the " +
    "audit log names its acts), tokenId and tokenName for a minted operator or viewer token, factoryId and " +
    "factoryName for a factory's}. Never the token nor its hash. What a client reads to offer only what the role may do; the API " +
    "still judges every call. Another product's token is refused 403, an unknown one 401",
  role: "member",
  ok: { "200": json("Who the token is", WhoamiSchema) },
};
