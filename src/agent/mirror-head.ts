/**
 * @module agent/mirror-head
 * A repository mirror's `HEAD`, put back when a job's engine broke it. Every job of that repository on the host
 * works in a worktree whose common dir is the mirror, so its engine can write the mirror's `HEAD` file. Nothing the
 * agent does reads which branch it names (agent/mirror-fetch asks origin), but git takes a directory whose HEAD is not
 * a ref or an object id for no repository at all: one `echo x > $(git rev-parse --git-common-dir)/HEAD` failed every
 * later preparation of that repository ("not a git repository") for good. And with no HEAD at all the mirror looked
 * unfinished, so the next preparation removed and cloned it afresh — under a job still running from it (its worktree
 * lost its repository: that run's work was not captured). Both are repaired in place instead.
 */
import { lstatSync, readdirSync, type Stats } from "node:fs";
import path from "node:path";
import type { RunAs } from "./engine-user.ts";
import { replaceFile } from "./exclusive-file.ts";
import { inOpenedDir } from "./opened-dir.ts";
import { readRegular } from "./regular-file.ts";
import { removeWorkTree } from "./workspace-removal.ts";

/** What git accepts in HEAD (refs/files-backend `validate_headref`): a symbolic ref under refs/, or an object id. */
const VALID_HEAD = /^(ref:\s*refs\/\S+|[0-9a-f]{40}|[0-9a-f]{64})\s*$/;

/** 1 KiB: far more than any valid HEAD; a larger file (a 10 GB sparse one) is not read, only replaced. */
const MAX_HEAD_BYTES = 1024;

/** What HEAD is put back as; which branch it names does not matter (agent/mirror-fetch). */
const HEAD_TEXT = "ref: refs/heads/main\n";

function lstatOrUndefined(p: string): Stats | undefined {
  return lstatSync(p, { throwIfNoEntry: false });
}

/**
 * Whether `mirror` is a directory itself: never a link — one an engine put in its place (mirrors/ is writable by the
 * engines that run from it) leads the agent's reads, writes and removals wherever it points. Never throws.
 */
export function mirrorIsDir(mirror: string): boolean {
  try {
    return lstatOrUndefined(mirror)?.isDirectory() === true;
  } catch {
    return false;
  }
}

/**
 * Whether `head` is a file git takes as a HEAD: read once through a descriptor of its own (agent/regular-file), so a
 * FIFO or a link an engine swapped in after a check by path is neither waited on nor followed.
 */
function validHead(head: string): boolean {
  return VALID_HEAD.test(readRegular(head, MAX_HEAD_BYTES + 1) ?? "");
}

/**
 * Whether a worktree of `mirror` is still on disk, read from its files (`worktrees/<id>/gitdir`, each read as
 * `validHead` reads: git cannot answer without a HEAD). A job runs from such a mirror, so it was a complete one.
 * `worktrees/` and each `<id>` in it are opened as themselves (agent/opened-dir): the engines that run from the mirror
 * can write there, and one swapped for a link after a check by path was listed and read wherever the link led.
 */
export function worktreeOnDisk(mirror: string): boolean {
  const live = inOpenedDir(path.join(mirror, "worktrees"), (admin) =>
    readdirSync(admin).some((id) => {
      const gitFile = inOpenedDir(path.join(admin, id), (wt) => readRegular(path.join(wt, "gitdir"), 4097))?.trim();
      return gitFile !== undefined && path.isAbsolute(gitFile) && lstatOrUndefined(path.dirname(gitFile)) !== undefined;
    }),
  );
  return live === true;
}

/**
 * Put `mirror`'s HEAD back (HEAD_TEXT, owned by `as`) when it is there but not one git takes, or gone from a mirror
 * a job still runs from; anything else is left (no mirror, or a leftover agent/mirror-clone replaces). Call with the
 * mirror's lock held. Returns whether HEAD was rewritten. Never throws: what it cannot repair fails the next git
 * command, with git's own message.
 */
export async function repairHead(mirror: string, as: RunAs | undefined): Promise<boolean> {
  const head = path.join(mirror, "HEAD");
  try {
    if (!mirrorIsDir(mirror)) return false; // a link in its place is never followed: agent/mirror-ready replaces it
    const st = lstatOrUndefined(head);
    if (st ? validHead(head) : !worktreeOnDisk(mirror)) return false;
    if (st?.isDirectory()) await removeWorkTree(head, as); // in the sandbox, inside it: the engine may still write it
    // Unlinked, never written through (a hard link, a symlink), created O_EXCL|O_NOFOLLOW and given to `as` through
    // its descriptor: a chown by path after the write followed a link the engine user (who owns the mirror) swapped
    // in meanwhile, and root gave it the link's target — /etc/shadow, say.
    replaceFile(head, HEAD_TEXT, { mode: 0o644, owner: as });
    return true;
  } catch {
    return false;
  }
}
