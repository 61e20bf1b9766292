/**
 * @module cli/own-tokens
 * The CLI never prints the token it sends. A server, a proxy or a misconfigured coordinator that echoes the request's
 * `Authorization` back — in a problem's detail, a proxy's error page, a field of an answer the CLI shows — had it
 * printed whole whenever it did not look like a Gigafactory token (an admin token is any string the operator chose):
 * shared/redact-secrets hid secrets by their shape only. Here every token this run may send (`--token`,
 * `GIGAFACTORY_TOKEN`, the saved config's) is hidden by its value (shared/redact-known: as typed, JSON-escaped,
 * URL-encoded, cut short) in everything the CLI prints: human lines and errors as text, a --json document by its
 * values (so it stays JSON, and byte-exact where it holds no token).
 */
import { trimHeaderBlanks } from "../shared/header-token.ts";
import { hideKnown, holdsKnown } from "../shared/redact-known.ts";
import { configPath, type Env, readConfigFile } from "./config.ts";

/** The value of every `--token` on a command line (`--token V`, `--token=V`), before any `--`. */
function flagTokens(argv: readonly string[]): string[] {
  const end = argv.indexOf("--");
  const words = end < 0 ? argv : argv.slice(0, end);
  return words.flatMap((w, i) => {
    if (w.startsWith("--token=")) return [w.slice("--token=".length)];
    const next = words[i + 1];
    return w === "--token" && next !== undefined ? [next] : [];
  });
}

/**
 * The tokens a run of `argv` may send, each as given and without the blanks `fetch` strips from a header's ends:
 * `--token`, `GIGAFACTORY_TOKEN`, and the saved config's (read on the first call, once; a config that cannot be read
 * holds none — its own refusal says so when a command needs it). Memoised.
 */
export function ownTokens(argv: readonly string[], env: Env): () => readonly string[] {
  let tokens: string[] | undefined;
  return () => {
    if (tokens) return tokens;
    let saved: string | undefined;
    try {
      saved = readConfigFile(configPath(env)).token;
    } catch {
      saved = undefined;
    }
    const given = [...flagTokens(argv), env.GIGAFACTORY_TOKEN, saved].filter((t): t is string => !!t);
    tokens = [...new Set(given.flatMap((t) => [t, trimHeaderBlanks(t)]))];
    return tokens;
  };
}

/** `text` with every token of `tokens()` hidden, in any form (shared/redact-known `hideKnown`). */
export function withoutTokens(text: string, tokens: () => readonly string[]): string {
  return hideKnown(text, tokens());
}

/**
 * A JSON text (`JSON.stringify(doc, null, indent)`) with every token hidden in its strings — keys too — and
 * re-serialised: hidden in the text, a token after an escape (`\n` before it) would break the escape and the
 * document. Returned as it is when it holds none, so an answer without our token stays byte-exact.
 * @throws RangeError — a document nested too deep to walk (the caller's refusal, cli/context `jsonText`)
 */
export function jsonWithoutTokens(text: string, tokens: () => readonly string[], indent?: number): string {
  const known = tokens();
  if (!holdsKnown(text, known)) return text;
  return JSON.stringify(hideIn(JSON.parse(text), known), null, indent);
}

function hideIn(value: unknown, known: readonly string[]): unknown {
  if (typeof value === "string") return hideKnown(value, known);
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map((v) => hideIn(v, known));
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [hideKnown(k, known), hideIn(v, known)]));
}
