/**
 * @module agent/git-message
 * What a failed git command's error says (agent/git), from its stderr. Git says why first and what followed from it
 * last: a clone of a repository owned by another user prints "fatal: detected dubious ownership in repository at …",
 * git's hint, then "fatal: Could not read from remote repository. / Please make sure you have the correct access
 * rights / and the repository exists." Its last three lines alone, as the agent kept them, hid the cause behind an
 * access problem that was not one. So the first `fatal:`/`error:` line leads when the last lines do not hold it, and
 * a refusal git explains in terms of a fix for the wrong user (`git config --global`, in the home of a user the
 * operator does not log in as) gets the fix that works on this host.
 */

/** git's words when it will not use a repository another user owns (git ≥ 2.35.2), and the path it names. */
const DUBIOUS = /detected dubious ownership in repository at '([^']+)'/;

/** How many of git's last stderr lines the message keeps: its final word, after progress and hints. */
const LAST_LINES = 3;

/**
 * The reason part of a git error from its `stderr` (progress meters' `\r` states dropped): git's last LAST_LINES
 * lines, led by its first `fatal:`/`error:` line when that is not among them, then what to do when git refused a
 * repository for its owner. "" when git wrote nothing (the caller says how it exited).
 */
export function gitReason(stderr: string): string {
  const lines = stderr
    .split(/[\r\n]+/)
    .map((l) => l.trim())
    .filter((l) => l !== "");
  const last = lines.slice(-LAST_LINES);
  const cause = lines.find((l) => /^(fatal|error):/.test(l));
  const kept = cause && !last.includes(cause) ? [cause, "…", ...last] : last;
  const path = DUBIOUS.exec(stderr)?.[1];
  const fix = path ? [`(${ownershipFix(path)})`] : [];
  return [...kept, ...fix].join(" ");
}

/**
 * The fix for a repository git will not read for its owner: its owner is not the user git ran as (with
 * `--engine-user`, the engine's user: every git of a job's files runs as that user).
 */
function ownershipFix(path: string): string {
  return (
    `${path} is owned by another user than the one git ran as (the engine user, with --engine-user): ` +
    `give it to that user, or trust it for every user of this host with \`git config --system --add safe.directory ${path}\``
  );
}
