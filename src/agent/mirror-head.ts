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
import { lstatSync, readdirSync, readFileSync, type Stats } from "node:fs";
import path from "node:path";
import { type RunAs, removeTree } from "./engine-user.ts";
import { replaceFile } from "./exclusive-file.ts";

/** What git accepts in HEAD (refs/files-backend `validate_headref`): a symbolic ref under refs/, or an object id. */
const VALID_HEAD = /^(ref:\s*refs\/\S+|[0-9a-f]{40}|[0-9a-f]{64})\s*$/;

/** 1 KiB: far more than any valid HEAD; a larger file (a 10 GB sparse one) is not read, only replaced. */
const MAX_HEAD_BYTES = 1024;

/** What HEAD is put back as; which branch it names does not matter (agent/mirror-fetch). */
const HEAD_TEXT = "ref: refs/heads/main\n";

function lstatOrUndefined(p: string): Stats | undefined {
  return lstatSync(p, { throwIfNoEntry: false });
}

/** Whether `head` (lstat `st`) is a file git takes as a HEAD. */
function validHead(head: string, st: Stats): boolean {
  if (!st.isFile() || st.size > MAX_HEAD_BYTES) return false;
  try {
    return VALID_HEAD.test(readFileSync(head, "utf8"));
  } catch {
    return false;
  }
}

/**
 * Whether a worktree of `mirror` is still on disk, read from its files (`worktrees/<id>/gitdir`: git cannot answer
 * without a HEAD). A job runs from such a mirror, so it was a complete one.
 */
export function worktreeOnDisk(mirror: string): boolean {
  const admin = path.join(mirror, "worktrees");
  if (!lstatOrUndefined(admin)?.isDirectory()) return false;
  return readdirSync(admin).some((id) => {
    const file = path.join(admin, id, "gitdir");
    const st = lstatOrUndefined(file);
    if (!st?.isFile() || st.size > 4096) return false;
    const gitFile = readFileSync(file, "utf8").trim();
    return path.isAbsolute(gitFile) && lstatOrUndefined(path.dirname(gitFile)) !== undefined;
  });
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
    const st = lstatOrUndefined(head);
    if (st ? validHead(head, st) : !worktreeOnDisk(mirror)) return false;
    if (st?.isDirectory()) await removeTree(head, as);
    // Unlinked, never written through (a hard link, a symlink), created O_EXCL|O_NOFOLLOW and given to `as` through
    // its descriptor: a chown by path after the write followed a link the engine user (who owns the mirror) swapped
    // in meanwhile, and root gave it the link's target — /etc/shadow, say.
    replaceFile(head, HEAD_TEXT, { mode: 0o644, owner: as });
    return true;
  } catch {
    return false;
  }
}
