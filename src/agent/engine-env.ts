/**
 * @module agent/engine-env
 * The environment an engine (and git working on the engine's files) gets: an
 * allow-list, not the agent's environment minus known secrets — the agent's
 * environment may hold the factory token, cloud credentials or anything its
 * supervisor put there, and a prompt-injected engine would print it into the job
 * log. Passed: locale, terminal, proxy and temp settings, the AI providers'
 * own variables (`ANTHROPIC_*`, `OPENAI_*`, `CLAUDE_*`, `CODEX_*`), `GF_*`,
 * and whatever the operator names with `--engine-env NAME`. Never `GIGAFACTORY_*`.
 */

/** Exact names an engine needs to behave like it does in a terminal. */
const ALLOWED_NAMES = new Set([
  "PATH",
  "HOME",
  "USER",
  "LOGNAME",
  "SHELL",
  "LANG",
  "LANGUAGE",
  "TERM",
  "TZ",
  "TMPDIR",
  "NO_COLOR",
  "FORCE_COLOR",
  "HTTP_PROXY",
  "HTTPS_PROXY",
  "NO_PROXY",
  "http_proxy",
  "https_proxy",
  "no_proxy",
  "SSL_CERT_FILE",
  "SSL_CERT_DIR",
  "NODE_EXTRA_CA_CERTS",
]);

/** Prefixes of the AI engines' own settings and keys (the engine needs them), the locale, and the job contract. */
const ALLOWED_PREFIXES = ["LC_", "ANTHROPIC_", "OPENAI_", "CLAUDE_", "CODEX_", "GF_"];

/** True when `name` may pass from the agent's environment to an engine. */
export function engineMayInherit(name: string, extra: ReadonlySet<string> = new Set()): boolean {
  if (name.startsWith("GIGAFACTORY_")) return false; // the agent's own credentials and settings, always
  return ALLOWED_NAMES.has(name) || extra.has(name) || ALLOWED_PREFIXES.some((p) => name.startsWith(p));
}

/** The allow-listed part of `base`; `extra` = the operator's `--engine-env` names. */
export function inheritedEnv(
  base: Readonly<Record<string, string | undefined>>,
  extra: ReadonlySet<string> = new Set(),
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(base)) if (v !== undefined && engineMayInherit(k, extra)) env[k] = v;
  return env;
}

/** A user's identity variables, so tools that read `$HOME` or `$USER` see the engine user, not the agent's. */
export function identityEnv(user: { name: string; home: string } | undefined): Record<string, string> {
  return user ? { HOME: user.home, USER: user.name, LOGNAME: user.name } : {};
}
