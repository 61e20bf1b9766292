/**
 * @module shared/capability-words
 * What a value that is no capability (shared/api Capability) is told, in one wording for both programs: `gigafactory
 * enroll --cap` said "is not a capability such as os:linux or has:docker", `gigafactory-agent enroll --cap` and its
 * config file's `capabilities` the rule itself, for the same value. Pure.
 */

/**
 * `"gpu box" is not a capability (letters, digits and ._:/+-, at most 64, e.g. gpu or region:eu)`. No " / " in it: that
 * parts what happened from its fix on the `✘ ERROR` line (it read "… digits and . _ : / + -": a fix of "+ -, …").
 */
export function notACapability(value: unknown): string {
  return `${JSON.stringify(value)} is not a capability (letters, digits and ._:/+-, at most 64, e.g. gpu or region:eu)`;
}
