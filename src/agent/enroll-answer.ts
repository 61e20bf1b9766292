/**
 * @module agent/enroll-answer
 * What `gigafactory-agent enroll` reads from the coordinator's 2xx answer to an exchanged code, checked before
 * anything is written. The shared client casts a JSON answer to its type unchecked (shared/http-client), so an answer
 * of another shape — another service's `{}` on the port, a proxy's JSON page, `null`, a coordinator of another
 * version — crashed the agent as `✘ ERROR internal: TypeError: Cannot read properties of undefined (reading
 * 'seatLimit') / this is a bug in gigafactory-agent`, or said `✔ enrolled` and saved a config file with no token
 * (then `run` said `config_missing`) or with one no header can carry (then `run` said `token_malformed`) — each
 * after the one-time code was spent. Refused here as `bad_response` (exit 1), never naming the token.
 */
import { z } from "zod";
import { EntityId } from "../shared/api.ts";
import { FixableError } from "../shared/fixable-error.ts";
import { productOfSecret, secretKind } from "./credential-checks.ts";

/** The fields enroll reads: the factory's id and token (saved), and the seat cap the code set (`factory.seatLimit`). */
function answerSchema(product: string) {
  return z.object({
    factoryId: EntityId,
    // What worker/auth `newToken` mints for this product: anything else, saved, fails every `run` after.
    token: z
      .string()
      .refine(
        (t) => secretKind(t) === "token" && productOfSecret(t) === product,
        `not a factory token of ${product} (gf_${product}_ and 43 characters)`,
      ),
    factory: z.object({ seatLimit: z.number().int().min(1).optional() }),
    // An interrupted enrollment resumed with its nonce (agent/enroll-nonce): the factory enrolled then, a new token.
    resumed: z.literal(true).optional(),
  });
}

export type EnrollAnswer = z.output<ReturnType<typeof answerSchema>>;

/**
 * `answer` as enroll reads it, when it is an enrolled factory of `product`.
 * @throws FixableError `bad_response` (exit 1) naming the first field that is not what enroll reads — never its value.
 */
export function checkedEnrollAnswer(answer: unknown, product: string, url: string): EnrollAnswer {
  const parsed = answerSchema(product).safeParse(answer);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const path = (issue?.path ?? []).map((k) => String(k).slice(0, 40)).join(".");
  const where = issue ? ` (${path ? `${path}: ` : ""}${issue.message})` : "";
  throw new FixableError(
    "bad_response",
    `the answer from ${url} to the enrollment is not an enrolled factory with its token${where}; nothing was saved`,
    "check that --url points at a Gigafactory coordinator of this version, not a proxy or another service; " +
      "the code may have been used up: ask an operator for a new one (`gigafactory enroll NAME`)",
  );
}
