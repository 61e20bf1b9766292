/**
 * @module agent/git-neutral
 * What keeps the engine's (and the operator's) git configuration and environment from changing what the agent's
 * own git commands do: agent/git passes NEUTRAL_CONFIG on every command line (a `-c` beats every config file) and
 * drops REDIRECTING_ENV variables from the environment it inherits.
 */

/**
 * Config for every command that reads the engine's files: the engine (and the operator's shell, and any
 * `~/.gitconfig`) may set what changes which files `add` sees (fsmonitor, ignoreStat, untracked cache, an ignore
 * list, file modes, symlinks, case folding) or what a patch
 * looks like (external diff, prefixes, colour, relative paths, context, order file, submodule format, renames), or
 * what a checkpoint push or fetch demands (signed pushes, submodule recursion, tags). The
 * checkpoint and diff.patch must mean the same thing whoever configured the repository.
 */
export const NEUTRAL_CONFIG: readonly string[] = [
  "core.fsmonitor=false",
  "core.untrackedCache=false",
  "core.ignoreStat=false",
  "core.autocrlf=false",
  "core.safecrlf=false",
  "core.quotePath=true",
  "core.attributesFile=/dev/null",
  // What `add` sees of the engine's files: no user-wide ignore list (agent/embedded-repos skips info/exclude too),
  // the exec bit and symlinks as they are on disk, names compared exactly.
  "core.excludesFile=/dev/null",
  "core.fileMode=true",
  "core.symlinks=true",
  "core.ignoreCase=false",
  "diff.external=",
  "diff.noprefix=false",
  "diff.mnemonicPrefix=false",
  "diff.relative=false",
  "diff.renames=true",
  "diff.context=3",
  "diff.interHunkContext=0",
  "diff.orderFile=/dev/null",
  "diff.suppressBlankEmpty=false",
  "diff.ignoreSubmodules=none",
  "diff.submodule=short",
  "push.gpgSign=false",
  "push.recurseSubmodules=no",
  "push.followTags=false",
  "submodule.recurse=false",
  "fetch.recurseSubmodules=false",
  "color.ui=false",
  "color.diff=false",
].flatMap((kv) => ["-c", kv]);

/**
 * Variables that redirect or reshape git, dropped from the environment it would inherit (the operator's shell):
 * another repository or index, a diff program or options, pathspec magic. Config the operator passes in the
 * environment (`GIT_CONFIG_COUNT`/`_KEY_n`/`_VALUE_n`, `GIT_CONFIG_PARAMETERS`: `safe.directory`, a proxy) is kept:
 * NEUTRAL_CONFIG's `-c` comes after it and wins.
 * (agent/git sets `GIT_NO_REPLACE_OBJECTS` instead: a `refs/replace/*` the engine wrote must not alter a checkpoint.)
 */
export const REDIRECTING_ENV =
  /^GIT_(DIR|WORK_TREE|INDEX_FILE|OBJECT_DIRECTORY|ALTERNATE_OBJECT_DIRECTORIES|COMMON_DIR|NAMESPACE|EXTERNAL_DIFF|DIFF_OPTS|DIFF_PATH_\w+|PAGER|EDITOR|ATTR_SOURCE|\w*PATHSPECS|REPLACE_REF_BASE|SHALLOW_FILE|GRAFT_FILE|CEILING_DIRECTORIES|QUARANTINE_PATH|DEFAULT_HASH)$/;
