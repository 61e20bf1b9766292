/**
 * @module shared/api-dead-letters
 * The dead letters' request schemas: a page's cursor (`DeadLetterKey`, encoded), the list's query and a dead letter's
 * id in a path. Out of shared/api, which re-exports them.
 */
import { z } from "zod";
import { utf8Text } from "../core/bytes.ts";
import { decodeCursorJson } from "./history-cursor.ts";
import { queryInt } from "./query-int.ts";

/** A dead letter's place in `GET …/dead-letters` (newest first: `at` down, then `id` down): the last row of a page. */
export const DeadLetterKey = z
  .object({ at: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER), id: utf8Text(512, z.string().min(1)) })
  .strict();
/** A dead letter's id in a path (`…/dead-letters/{id}/redrive`): as long as ids are kept; its bound said in bytes. */
export const DeadLetterIdParam = utf8Text(512, z.string().min(1)).describe("a dead letter's id: ≤ 512 bytes of UTF-8");
const NOT_A_PAGE = "must be a nextCursor from an earlier page of dead letters";
/** `since` (ms, inclusive) bounds the time from below; `cursor` (a page's `nextCursor`) goes on after its last row. */
export const DeadLettersQuery = z
  .object({
    since: queryInt(z.number().min(0)).optional(),
    limit: queryInt(z.number().min(1).max(500)).default(100),
    cursor: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,2048}$/, NOT_A_PAGE)
      .transform((text) => decodeCursorJson(text))
      .pipe(z.unknown().refine((v) => DeadLetterKey.safeParse(v).success, NOT_A_PAGE))
      .transform((v) => DeadLetterKey.parse(v))
      .describe("a page's nextCursor: the dead letters after its last one")
      .optional(),
  })
  .strict();
