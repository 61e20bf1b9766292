/**
 * @module shared/argv-text
 * Whether a command-line word reached the CLI or the agent as UTF-8. Node decodes argv as UTF-8 and puts U+FFFD
 * where a byte is not (a Latin-1 terminal, `$'\xff'`), and says nothing: `gigafactory tokens mint --name $'\xff'`
 * minted a token named "\uFFFD" — a valid character, which the coordinator rightly took. The bytes cannot be read
 * back, and a U+FFFD typed on purpose is as good as never in a name, a text or a path, so a word holding one is
 * refused (exit 2) as not UTF-8, naming it.
 */

/** What Node reads in place of each byte sequence of argv that is not UTF-8. */
const REPLACEMENT = "\uFFFD";

/**
 * Why `value` (a word of argv, named `where`: `--name`, `the TEXT argument`) cannot be taken, or undefined when it
 * holds no U+FFFD. The value itself is not repeated: it may be a token.
 */
export function notUtf8Problem(value: string, where: string): string | undefined {
  if (!value.includes(REPLACEMENT)) return undefined;
  return `${where} was not UTF-8 text: it holds U+FFFD (\uFFFD), which is what a byte that is not UTF-8 becomes as the command line is read`;
}

/** How to give such a word again, in every refusal of one. */
export const NOT_UTF8_FIX =
  'type it again in a UTF-8 terminal (LANG=C.UTF-8), or convert it (`printf %s "$X" | iconv -f LATIN1 -t UTF-8`)';
