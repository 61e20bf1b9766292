/**
 * @module worker/openapi-ops-dead-letters
 * The dead-letter operations of the OpenAPI document: listing what could not be delivered or processed, reading one,
 * and redriving one (worker/routes/dead-letters, worker/routes/dead-letter-show, worker/routes/dead-letter-redrive).
 */
import { DeadLettersQuery } from "../shared/api.ts";
import * as A from "../shared/api-fleet-answers.ts";
import { type Op, P } from "./openapi-ops.ts";
import { json } from "./openapi-schemas.ts";

/** `GET …/dead-letters`, `GET …/dead-letters/{deadLetterId}` and `POST …/dead-letters/{deadLetterId}/redrive`. */
export const DEAD_LETTER_OPS: Op[] = [
  {
    method: "get",
    path: `${P}/dead-letters`,
    operationId: "listDeadLetters",
    summary: "What could not be delivered or processed, newest first",
    description:
      "What could not be delivered or processed, newest first: outbox records the coordinator gave up on (source `outbox:<kind>`, after its last retry or at once when too large; each also audited as `outbox.dead_letter`), dead-letter-queue messages (`queue:<kind>`) and refused bulk items — never jobs: a job whose attempts ran out is in stage dead_letter (`GET …/jobs?stage=dead_letter`; its requeue brings it back) — from D1 and from the coordinator, which keeps what D1 refused. Paged by keyset on (at, id): a page's `nextCursor`, passed back as `cursor`, lists the dead letters strictly after its last one, so each is read exactly once however many share a millisecond; a page holds fewer than `limit` (with a `nextCursor`) when its bodies reach about 4 Mi characters from either store; a cursor this API did not issue is a 400. An item's `body` is the stored message or record as JSON, or — a stored body that is not JSON — its text as kept",
    role: "operator",
    query: DeadLettersQuery,
    ok: { "200": json("The dead letters", A.DeadLetterListSchema) },
  },
  {
    method: "get",
    path: `${P}/dead-letters/{deadLetterId}`,
    operationId: "getDeadLetter",
    summary: "One dead letter: its message, where it is kept, and what a redrive would do now",
    description:
      "One dead letter as the list shows it (its `body` the stored message or record as JSON, or its text when it is " +
      "not JSON), read from D1 and the coordinator: `heldBy` names the stores holding it (D1's copy is answered when " +
      "both do), and `redrive` says what `POST …/dead-letters/{deadLetterId}/redrive` would do now — send it back to " +
      "`queue`, or refuse it with `code` (`dead_letter_not_redrivable`, `dead_letter_malformed`) and `detail` — judged " +
      "by the redrive's own checks, nothing sent. No larger than a one-row page of the list. 404 not_found for an " +
      "unknown id or another product's; 503 unavailable when D1 cannot be read and the coordinator does not hold it " +
      "(D1 may); D1 unreadable and the coordinator holding it: its copy, `partial: true`",
    role: "operator",
    ok: { "200": json("The dead letter", A.DeadLetterDetailSchema) },
  },
  {
    method: "post",
    path: `${P}/dead-letters/{deadLetterId}/redrive`,
    operationId: "redriveDeadLetter",
    summary: "Redrive a dead letter to the queue it came from",
    description:
      "Redrive a dead letter: its original message goes back on the queue it came from (`queue:history` → history, " +
      "`queue:webhook` → webhooks, with the same deliveryId, signed afresh at send; `queue:submit`/`queue:dispatch` → " +
      "dispatch), then the dead letter is deleted from D1 and the coordinator, so a second redrive is 404 not_found. " +
      "At least once: a redrive whose answer was lost may send the message again, and every effect is idempotent " +
      "(history rows by their ids, webhook deliveries by deliveryId, jobs by idempotency key). Audited " +
      "(dead_letter.redriven). 409 dead_letter_not_redrivable for an `outbox:*` record (known downstream by its " +
      "outbox seq, which a redrive can neither keep nor reuse safely) or an item the coordinator refused (`batch:*`, " +
      "`tracker:*`: it would be refused again) or a `queue:webhook` delivery while the product has no webhook (it " +
      "would be dropped unsent: set one, then redrive) or a `queue:submit`/`queue:dispatch` message dead-lettered " +
      "more than 6 days ago (an idempotency key dedupes for 7 days: a job one of its items made meanwhile would be " +
      "made twice); 409 dead_letter_malformed when its body is not a message its queue " +
      "takes (or names another product) — both keep the dead letter; 503 unavailable when D1 or the queue fails " +
      "(kept: redrive again). Another product's id is 404",
    role: "operator",
    ok: { "200": json("Sent back, and no longer a dead letter", A.DeadLetterRedrivenSchema) },
  },
];
