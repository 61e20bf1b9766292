/**
 * @module cli/token-readable
 * A token the coordinator can never read as one, refused before it is sent. The Worker reads `Authorization: Bearer
 * <token>` as one run of non-blank characters of at most 512 bytes (worker/bearer-token), so a token with a blank
 * inside — `Bearer gfadmin_…` or `GIGAFACTORY_TOKEN=…` pasted whole, two words — or past that length is refused 401
 * "send Authorization: Bearer <token>", whatever it is: the CLI said that line with "check the token", to someone who
 * had sent exactly that header. A product token's faults are cli/token-shape's (told after the 401, in its words);
 * this is for every other token, the admin's included, whose shape is the deployer's choice but never holds a blank.
 */
import { counted } from "../core/counted.ts";
import { CliError } from "./errors.ts";
import { tokenShapeProblem } from "./token-shape.ts";

/** The most bytes of UTF-8 the coordinator reads of a token (worker/bearer-token BEARER_TOKEN_MAX_BYTES). */
export const TOKEN_MAX_BYTES = 512;

const FIX =
  "give the token alone, as it was minted or set (`gigafactory login --url URL --token TOKEN`, or GIGAFACTORY_TOKEN): the CLI adds `Authorization: Bearer` itself";

/**
 * The refusal of `token` (its end blanks already stripped, shared/header-token `trimHeaderBlanks`) when the
 * coordinator could never read it: CliError `token_malformed` (exit 2) naming `source` and never the token — or
 * undefined, also for a product token's faults (cli/token-shape says those).
 */
export function unreadableToken(token: string, source: string): CliError | undefined {
  if (tokenShapeProblem(token) !== undefined) return undefined;
  // The Worker reads the token as one run of \S (worker/bearer-token), so any \s inside — a line break of a wrapped
  // paste too, which fetch refused with a TypeError of its own — can never be read; a NUL no header may carry.
  const blank = /[\s\0]/.exec(token);
  if (blank) {
    const first = token.slice(0, blank.index);
    const pasted = /^bearer$/i.test(first) ? `: \`${first}\` pasted with it?` : ": two words pasted together?";
    return new CliError(
      "token_malformed",
      `the token (${source}) holds ${blankWord(blank[0])} at character ${blank.index + 1}, which no token has${pasted}`,
      FIX,
      2,
    );
  }
  const bytes = new TextEncoder().encode(token).length;
  if (bytes <= TOKEN_MAX_BYTES) return undefined;
  return new CliError(
    "token_malformed",
    `the token (${source}) is ${counted(bytes, "byte")}, past the ${TOKEN_MAX_BYTES} the coordinator reads of one`,
    FIX,
    2,
  );
}

/** What the character `c` that stops a token is called: a line break, a NUL, or a blank (space, tab, any other). */
function blankWord(c: string): string {
  if (/[\r\n\u2028\u2029]/.test(c)) return "a line break";
  return c === "\0" ? "a NUL character" : "a blank";
}
