/**
 * @module shared/api-track-records
 * The query of `GET …/routing/track-records` (issue 11 parts 1 and 5): without one, every stored record (up to
 * policies/track-records MAX_TRACK_ROWS, ~1 MB of JSON); `factoryId` narrows it to one factory's records and
 * `perFactory` to each factory's N records with the most runs — what a fleet card shows (dashboard/fleet-track.js) —
 * so a page polling every 30 s is not sent every record of the product. Strict like the rest of shared/api.
 */
import { z } from "zod";
import { EntityId, queryInt } from "./api.ts";

/** A factory's records a card can show at most: a few lines; more is the whole list's job (no `perFactory`). */
export const PER_FACTORY_MAX = 100;

/** `GET …/routing/track-records?factoryId=&perFactory=`: both optional; the answer's shape is the same. */
export const TrackRecordsQuery = z
  .object({
    factoryId: EntityId.optional().describe(
      "only this factory's records (a factory of another product, or none: no records)",
    ),
    perFactory: queryInt(z.number().min(1).max(PER_FACTORY_MAX))
      .optional()
      .describe("at most this many records per factory: those with the most runs (n), ties by engine|jobClass"),
  })
  .strict();

export type TrackRecordsQueryT = z.infer<typeof TrackRecordsQuery>;
