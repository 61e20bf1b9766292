/**
 * @module cli/env-override
 * Which GIGAFACTORY_* variables stand in front of the saved login (cli/config: flags, then environment, then the file
 * `gigafactory login` wrote): a variable set to something other than what was saved, with no flag in front of it,
 * decides where a command goes, as whom, on which product — silently, so a GIGAFACTORY_TOKEN left from another shell
 * made every command run as that token while the user believed their login was in use. `login` names them after
 * saving (its `overriddenBy`); every other command says so once, on stderr, in one line (`overrideNote`).
 */
import { trimHeaderBlanks } from "../shared/header-token.ts";
import { coordinatorUrl, type Layer } from "./config.ts";

/** The variable of each connection setting, in the order they are named. */
const VARIABLES = { url: "GIGAFACTORY_URL", token: "GIGAFACTORY_TOKEN", product: "GIGAFACTORY_PRODUCT" } as const;

/**
 * The variables of `env` set to something else than `saved` holds, with no flag of `flags` in front of them: a URL
 * compared as the CLI would call it (`http://h/` is `http://h`; one it refuses differs from any), a token as it is sent
 * (its end blanks trimmed, cli/config: the saved token with a \r from a CRLF file is the same token), a product as
 * written. A setting `saved` does not hold overrides nothing: there was no login to override.
 */
export function overridingVariables(env: Layer, saved: Layer, flags: Layer = {}): string[] {
  const same = (key: keyof Layer, a: string, b: string): boolean => {
    if (key === "token") return trimHeaderBlanks(a) === trimHeaderBlanks(b);
    if (key !== "url") return a === b;
    try {
      return coordinatorUrl(a, "env") === coordinatorUrl(b, "file");
    } catch {
      return false; // a URL every command refuses: it still stands in the saved one's way
    }
  };
  return (Object.keys(VARIABLES) as Array<keyof Layer>).flatMap((key) => {
    const [mine, theirs] = [env[key], saved[key]];
    if (flags[key] !== undefined || mine === undefined || theirs === undefined || same(key, mine, theirs)) return [];
    return [VARIABLES[key]];
  });
}

/**
 * The one line a command prints on stderr (under --json too: stdout keeps its one document) when `names` override the
 * login saved in `file`; never their values (a token is a secret).
 */
export function overrideNote(names: readonly string[], file: string): string {
  const which = names.length === 1 ? `${names[0]} overrides` : `${names.join(", ")} override`;
  const them = names.length === 1 ? "it" : "them";
  return `⚠ ${which} the login saved in ${file}: unset ${them} (\`unset ${names.join(" ")}\`) to use the saved login, or pass --url/--token/--product to say which`;
}
