/**
 * @module shared/env-value
 * An environment variable that is set but empty is unset. `GIGAFACTORY_URL= gigafactory-agent run` (a variable
 * cleared in a unit file or a CI step, `export X=` in a profile) means "no value here", never "the empty URL": read
 * with `??`, the empty string won over the config file's value and the agent refused a URL it had, or `path.resolve("")`
 * put its state in the current directory.
 */

/** `env[name]` trimmed, or undefined when it is missing, empty or only blanks. */
export function envValue(env: Readonly<Record<string, string | undefined>>, name: string): string | undefined {
  const v = env[name]?.trim();
  return v ? v : undefined;
}
