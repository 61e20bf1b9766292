/**
 * @module agent/run-diff
 * A run's changes against its workspace's base, as the `diff.patch` artifact and the run's insights read them: the
 * shortstat and the patch's bytes, bounded. Out of agent/checkpoint, which makes and pushes the commits compared.
 */
import { git, gitBytes } from "./git.ts";
import { parseShortstat } from "./insights.ts";
import type { Workspace } from "./workspace.ts";

/** 25 MiB: the coordinator's per-artifact limit, and the most of a patch the agent reads into memory. */
export const MAX_PATCH_BYTES = 25 * 1024 * 1024;

/**
 * The flags that make a patch `git apply` can apply whatever the repository's config says (the config itself is
 * neutralised by agent/git NEUTRAL_CONFIG; the command line wins over it anyway): no external diff or textconv,
 * no colour, `a/` `b/` prefixes from the top, full blob ids, binary files as binary patches.
 */
const PATCH_FLAGS = [
  "--no-ext-diff",
  "--no-textconv",
  "--no-color",
  "--no-relative",
  "--src-prefix=a/",
  "--dst-prefix=b/",
  "--ignore-submodules=none",
  "--submodule=short",
];

export interface RunDiff {
  stat: ReturnType<typeof parseShortstat>;
  /** The patch's bytes as git wrote them (binary-safe); undefined when it is over `maxBytes`. */
  patch: Buffer | undefined;
  /** Why the patch is missing (over the cap), for the operator; undefined when it is there. */
  skipped?: string;
}

/**
 * The run's changes against the workspace base: shortstat numbers and the full patch as bytes, read up to
 * `maxBytes` (default MAX_PATCH_BYTES) and no further. Throws GitError when git fails.
 */
export async function runDiff(ws: Workspace, sha: string, maxBytes = MAX_PATCH_BYTES): Promise<RunDiff> {
  const opts = { cwd: ws.dir, as: ws.owner };
  const stat = parseShortstat(await git(["diff", ...PATCH_FLAGS, "--shortstat", ws.base, sha], opts));
  const out = await gitBytes(["diff", ...PATCH_FLAGS, "--full-index", "--binary", ws.base, sha], opts, maxBytes);
  if (!out.over) return { stat, patch: out.bytes };
  const skipped = `diff.patch skipped: over the ${maxBytes}-byte limit (checkpoint ${sha.slice(0, 12)} has the work)`;
  return { stat, patch: undefined, skipped };
}
