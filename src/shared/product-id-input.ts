/**
 * @module shared/product-id-input
 * The one check of a product id a person gives the CLI or the agent — a flag, an argument, a variable, a config
 * file — before any request: sent, `products create UPPER` (or login's, the agent's `--product UPPER`) came back
 * `validation_failed: id: …` or `productId: …` (exit 1), naming a field nobody had typed (pass 46/47 newcomer).
 */
import { ProductId } from "./api.ts";
import { EXIT_USAGE, FixableError } from "./fixable-error.ts";

/** What a product id is, in the refusal's words (shared/api ProductId's rule). */
export const PRODUCT_ID_RULE = "lowercase letters, digits and '-', at most 63, not starting with '-'";

/**
 * Refuses `product` unless it is a product id (shared/api ProductId). `source` names where it came from (`--product`,
 * `GIGAFACTORY_PRODUCT`, `the ID argument`, …); `fix` says how to give a good one. The refusal says the lowercase
 * form when that one is an id (`UPPER` → `upper`): a capital is the usual slip.
 * @throws FixableError `usage`, exit 2
 */
export function assertProductId(product: string, source: string, fix: string): void {
  if (ProductId.safeParse(product).success) return;
  const lower = product.toLowerCase();
  const near = lower !== product && ProductId.safeParse(lower).success ? `; did you mean "${lower}"?` : "";
  throw new FixableError(
    "usage",
    `${JSON.stringify(product)} (${source}) is not a product id: ${PRODUCT_ID_RULE}${near}`,
    fix,
    EXIT_USAGE,
  );
}
