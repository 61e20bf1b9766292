/**
 * @module agent/frame-features
 * A frame as the connected coordinator can take it. A field that belongs to an optional protocol feature
 * (shared/protocol FEATURES) travels only to a coordinator whose `welcome` announced that feature: the factory
 * frames' schemas are strict, so an older coordinator refuses a whole frame for one field it does not know.
 *
 * Today that is `insights.baseTokens` (FEATURES.baseTokens; agent/run-usage): how many of a resumed run's
 * `tokensIn` are its earlier engines' tokens, split unknown. Sent to a coordinator from before it, every progress
 * report of a resumed lease — and its `complete` or `fail` — came back `validation_failed`: the result never landed,
 * the lease ran out and the job ran again. Left out, that coordinator prices the run as it always did. Pure.
 */
import { FEATURES } from "../shared/protocol.ts";
import type { OutFrame } from "./connection.ts"; // a type only: no import cycle at run time

/**
 * `frame` without the fields of features `features` lacks; `frame` itself when nothing is left out (never changed).
 * @param features the values of FEATURES the coordinator's last `welcome` announced (none: an older coordinator)
 */
export function framedFor(frame: OutFrame, features: ReadonlySet<string>): OutFrame {
  if (features.has(FEATURES.baseTokens) || !("insights" in frame) || !frame.insights) return frame;
  if (frame.insights.baseTokens === undefined) return frame;
  const { baseTokens: _, ...insights } = frame.insights;
  return { ...frame, insights } as OutFrame;
}
