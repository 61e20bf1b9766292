/**
 * @module shared/query-int
 * A query parameter or header holding a non-negative integer in decimal digits, as every schema of shared/api* reads
 * one. Its own module: the schemas beside shared/api import it without a cycle through it.
 */
import { z } from "zod";

/**
 * A query parameter holding a non-negative integer, written in decimal digits only, checked by `n` once read.
 * Not `z.coerce.number()`: that read "" as 0, "0x10" as 16 and "1e3" as 1000, so a typo silently became another
 * value instead of a 400 (found by a hostile-input reviewer). Documented as the digit pattern it accepts.
 */
export function queryInt(n: z.ZodNumber) {
  return z
    .string()
    .regex(/^\d{1,16}$/, "a non-negative integer in decimal digits")
    .transform(Number)
    .pipe(n.int());
}
