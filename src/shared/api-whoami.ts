/**
 * @module shared/api-whoami
 * `GET …/whoami`'s answer: who the request's token is on the product — the role the API judges it by (worker/auth
 * `Role`), the name the audit log gives it (worker/auth `actorOf`) and, for a minted operator or viewer token, its
 * id and name (for a factory, its factory id and name). Never the token nor its hash. The dashboard reads it to offer only
 * what the role may do, `gigafactory whoami` to say which token it is using; worker/openapi-answer-types checks it
 * at compile time against what the route sends.
 */
import { z } from "zod";
import { ProductId } from "./api.ts";

/**
 * The roles a token of a product (or the admin token) can hold, as worker/auth names them. `member` and `enrollment`
 * are not among them: `member` is a need (viewer or above, or a factory), never a holder, and a one-time enrollment
 * code is not let in (the route's role is `member`).
 */
export const WHOAMI_ROLES = ["admin", "operator", "viewer", "factory"] as const;

export const WhoamiSchema = z.object({
  product: ProductId.describe("the product the request named, which the token belongs to (or the admin's)"),
  role: z.enum(WHOAMI_ROLES).describe("what the API lets this token do: worker/auth's role of the token"),
  actor: z.string().describe("how the audit log names this token's acts: admin, operator:<name>, factory:<id>…"),
  tokenId: z.string().optional().describe("a minted operator or viewer token: its id (what `tokens revoke` takes)"),
  tokenName: z.string().optional().describe("a minted operator or viewer token: the name it was minted with"),
  factoryId: z.string().optional().describe("a factory's token: the factory's id"),
  factoryName: z.string().optional().describe("a factory's token: the name the factory enrolled under"),
});
export type Whoami = z.output<typeof WhoamiSchema>;
