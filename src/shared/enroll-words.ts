/**
 * @module shared/enroll-words
 * What a value `enroll` cannot take is told, in one wording for both programs: a capability (shared/api Capability) —
 * `gigafactory enroll --cap` said "is not a capability such as os:linux or has:docker", `gigafactory-agent enroll
 * --cap` and its config file's `capabilities` the rule itself, for the same value — and a factory name (shared/api
 * HostName), which the agent refused before sending its code and the CLI sent for the coordinator's `body.name: …`.
 * The value is shown cut to ISSUE_TEXT_BYTES (core/bytes `clipUtf8`): a 900-byte one filled the line with itself. Pure.
 */
import { clipUtf8 } from "../core/bytes.ts";

/** `value` as shown: a string cut to ISSUE_TEXT_BYTES with "…", anything else as it is. */
const shown = (value: unknown): unknown => (typeof value === "string" ? clipUtf8(value) : value);

/**
 * `"gpu box" is not a capability (letters, digits and ._:/+-, at most 64, e.g. gpu or region:eu)`. No " / " in it: that
 * parts what happened from its fix on the `✘ ERROR` line (it read "… digits and . _ : / + -": a fix of "+ -, …").
 */
export function notACapability(value: unknown): string {
  return `${JSON.stringify(shown(value))} is not a capability (letters, digits and ._:/+-, at most 64, e.g. gpu or region:eu)`;
}

/** `"box 7" is not a factory name: 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit`. */
export function notAFactoryName(name: string): string {
  return `${JSON.stringify(shown(name))} is not a factory name: 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit`;
}
