/**
 * @module agent/local-trust
 * Cloning and fetching a job's local repository (a path on this host, allowed by `--allow-local-repos`) that another
 * user owns, and reading and pushing to the host's checkpoint remote (`--checkpoint-remote DIR`, the operator's own
 * choice: a shared bare repository may well belong to another user) that another user owns. The agent's git runs as the engine user (`--engine-user`); a root agent's jobs name root's repositories,
 * and git (≥ 2.35.2) refuses to read a repository another user owns ("detected dubious ownership") unless protected
 * config lists it in `safe.directory`. A `-c` on the command line does not reach the `upload-pack` a local clone or
 * fetch starts (git clears GIT_CONFIG_PARAMETERS and GIT_CONFIG_COUNT for the local transport), but the global config
 * file does: so these commands get GIT_CONFIG_GLOBAL naming a file that trusts exactly that repository.
 *
 * Why that is safe: the operator allowed local repositories (and named the checkpoint remote), and only the one path
 * the job names and that remote are trusted (never `*`, no `*` in either), only by the git commands that read or push
 * to them, only for the user git runs as — the engine user, who runs the job's engine anyway. A checkpoint remote was
 * not trusted: one another user owns failed every preparation that resumed from it and every checkpoint pushed to it. What git guards against — a repository's config running commands of its owner's
 * choosing as whoever reads it — gives that user nothing the job's own engine does not have. The file replaces the
 * user's global config for those commands: it holds only the trust (the user's own `~/.gitconfig` is the engine's to
 * write; agent/git-neutral keeps such config from the agent's commands anyway). Written beside the job file
 * (`jobs/`), never through a link planted there (agent/exclusive-file), and removed once the workspace is prepared.
 */
import { rmSync } from "node:fs";
import path from "node:path";
import { isLocalRepo } from "../core/repo-url.ts";
import { sharedDir } from "./engine-user.ts";
import { replaceFile } from "./exclusive-file.ts";

/** Where the trust for preparing the job whose workspace is `jobDir` is written: beside its job file, in `jobs/`. */
export function trustFileFor(jobDir: string): string {
  return `${jobDir}.gitconfig`;
}

/**
 * The `safe.directory` config trusting `repo` exactly — as given and its `.git` (where git looks in a repository
 * with a work tree) — or undefined for a path the file cannot say exactly: a control character, a `*` (git ≥ 2.46
 * reads `/path/*` as every repository below it).
 */
export function trustConfig(repo: string): string | undefined {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: a control character cannot be written in a config value
  if (!isLocalRepo(repo) || /[\u0000-\u001f\u007f*]/.test(repo)) return undefined;
  const quoted = (p: string) => `"${p.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
  const paths = [repo, `${repo.replace(/\/+$/, "")}/.git`];
  return `[safe]\n${paths.map((p) => `\tdirectory = ${quoted(p)}\n`).join("")}`;
}

/**
 * The `safe.directory` config trusting each of `repos` exactly (those `trustConfig` can say; the others are left
 * out), or undefined when it can say none of them.
 */
export function trustConfigFor(repos: readonly string[]): string | undefined {
  const lines = repos.flatMap((r) => trustConfig(r)?.split("\n").slice(1, -1) ?? []);
  return lines.length > 0 ? `[safe]\n${lines.join("\n")}\n` : undefined;
}

/**
 * Run `fn` with the environment git needs to read `repos` — the job's repository and the checkpoint remote, each
 * trusted as `trustConfig` says it (`{}` when it can say none of them: URLs, a path with a `*`): a
 * config file at `file` (the agent's, mode 0644: readable by the engine user; its directory made as `jobs/` is)
 * named by GIT_CONFIG_GLOBAL, removed when `fn` settles.
 * @throws what `fn` throws; what node:fs throws writing the file (EEXIST: something planted at `file` twice)
 */
export async function withLocalTrust<T>(
  repos: string | readonly string[],
  file: string,
  fn: (env: Record<string, string>) => Promise<T>,
): Promise<T> {
  const config = trustConfigFor(typeof repos === "string" ? [repos] : repos);
  if (config === undefined) return fn({});
  sharedDir(path.dirname(file));
  replaceFile(file, config, { mode: 0o644 });
  try {
    return await fn({ GIT_CONFIG_GLOBAL: file });
  } finally {
    rmSync(file, { force: true });
  }
}
