/**
 * @module durable-objects/coordinator/rpc/lessons
 * The ProductCoordinator's RPC methods for the lessons journal (issue 9, part 7). One layer of the class chain
 * (rpc/fleet ← rpc/policy ← rpc/budget ← rpc/breakers ← rpc/alerts ← rpc/lessons ← rpc/metrics ← rpc/batches ← rpc/routing ← rpc/work ← ProductCoordinator):
 * each method is one atomic unit over a store module; it adds only what must follow the commit.
 *
 * Writes come here (never straight to D1) so the coordinator's mirror, which `assign` frames read, and D1, the
 * store of record, see the same lesson: the unit writes the mirror and enqueues the D1 upsert together. Reads of
 * the journal go to D1 (worker/routes/lessons).
 */
import type { Lesson } from "../../../core/lessons.ts";
import type { LessonBodyT, LessonPatchT } from "../../../shared/api-lessons.ts";
import type { Caller } from "../access/tokens.ts";
import { addLesson, editLesson } from "../policies/lessons.ts";
import { AlertRpc } from "./alerts.ts";

export abstract class LessonRpc extends AlertRpc {
  /** `POST …/lessons`: a new operator lesson, audited `lesson.create`. */
  async addLesson(productId: string, input: LessonBodyT, actor: string, caller: Caller) {
    return this.units.runAs(caller, productId, (tx) => addLesson(tx, input, actor));
  }

  /**
   * `PATCH …/lessons/{id}`: edit or archive, audited. `known` = the row D1 has, for a lesson the mirror pruned;
   * an unknown id is `not_found`.
   */
  async editLesson(
    productId: string,
    id: string,
    patch: LessonPatchT,
    actor: string,
    known: Lesson | undefined,
    caller: Caller,
  ) {
    return this.units.runAs(caller, productId, (tx) => editLesson(tx, id, patch, actor, known));
  }
}
