/**
 * @module cli/manifest-input
 * A manifest `submit` is named: a file's text, or standard input's for `-`, UTF-8 and no larger than the coordinator
 * takes; what it says when it cannot be read. Out of cli/commands/submit, which sends them and reports.
 */
import { MAX_MANIFEST_BYTES } from "../core/manifest-schema.ts";
import { EXIT_USAGE } from "../shared/fixable-error.ts";
import { CliError } from "./errors.ts";
import { readInputFile, readInputStream } from "./input-file.ts";
import { utf8Text } from "./utf8-text.ts";

/** The fix of a command line submit cannot take. */
export const SEE_HELP = "see `gigafactory submit --help`";

/**
 * The file's text (`-`: standard input's, through `stdin`), refused when it is not UTF-8 (cli/utf8-text). `submit -`
 * read a file named "-" and said `cannot read the file (ENOENT)`, where a script piped its manifest in. Either is
 * read no further than MAX_MANIFEST_BYTES: standard input was read to its end, and a runaway pipe filled the memory.
 * `seeHelp`: the fix when there is no standard input — the help of the command reading it (`batch submit` pointed at
 * `submit --help`).
 * @throws CliError file_too_large or file_unreadable (exit 2)
 */
export async function readManifest(
  file: string,
  stdin?: () => AsyncIterable<Uint8Array>,
  seeHelp = SEE_HELP,
): Promise<string> {
  if (file === "-" && !stdin) throw new CliError("file_unreadable", "no standard input to read", seeHelp, EXIT_USAGE);
  const bytes =
    file === "-" && stdin ? await readInputStream(stdin(), MAX_MANIFEST_BYTES, "a manifest") : await readBytes(file);
  return utf8Text(bytes, "", "submit it again");
}

/**
 * The bytes of `file`, at most MAX_MANIFEST_BYTES of them.
 * @throws CliError file_too_large or file_unreadable (exit 2)
 */
async function readBytes(file: string): Promise<Uint8Array> {
  try {
    return await readInputFile(file, MAX_MANIFEST_BYTES, "a manifest");
  } catch (err) {
    if (err instanceof CliError) throw err; // file_too_large
    const why = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    // `submit examples` (a directory) is a natural first try: say what to pass instead of "check its permissions".
    if (why === "EISDIR") {
      const glob = `${file.replace(/\/+$/, "")}/*.md`;
      throw new CliError(
        "file_unreadable",
        "is a directory, not a manifest",
        `pass its manifests: \`gigafactory submit ${glob}\``,
        EXIT_USAGE,
      );
    }
    throw new CliError(
      "file_unreadable",
      `cannot read the file (${why})`,
      "check the path and its permissions",
      EXIT_USAGE,
    );
  }
}
