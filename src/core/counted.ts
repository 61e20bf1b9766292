/**
 * @module core/counted
 * A count and its noun, agreeing: `counted(1, "job")` is "1 job", `counted(3, "job")` "3 jobs", and an irregular
 * plural is given (`counted(1, "factory", "factories")`). Every count the CLI and the agent print with a noun goes
 * through here: `${n} jobs read` printed "1 jobs read", and `job(s)`, `seat(s)` read as a form nobody finished. Pure.
 */

/** `n` then `noun` (n = 1) or `plural` (any other n, 0 included: "0 jobs"). `plural` defaults to noun + "s". */
export function counted(n: number, noun: string, plural = `${noun}s`): string {
  return `${n} ${n === 1 ? noun : plural}`;
}
