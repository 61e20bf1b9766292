/**
 * @module core/repo-url
 * What a job's `repo` may be: an allow-list of git remote forms, because the value
 * reaches `git clone` on a factory host and git reads more than URLs from that
 * argument — `--upload-pack=<cmd>` is an option, `ext::<cmd>` runs a command,
 * `file://` and other `<transport>::` forms reach files and helpers on the host.
 *
 * Accepted: `https://`, `http://`, `ssh://` and `git://` URLs with a host, the scp
 * form `[user@]host:path`, and an absolute path on the factory host (`/srv/git/app.git`,
 * for shared-filesystem setups; the agent clones one only when its operator allows
 * local repositories). Everything else is refused at submit with the reason.
 */
import { fitsUtf8 } from "./bytes.ts";

/** 500 bytes of UTF-8: the longest plausible clone URL (the manifest's bound). */
export const MAX_REPO_BYTES = 500;

const SCHEMES = new Set(["https:", "http:", "ssh:", "git:"]);
/** A DNS name, IPv4 or bracketed IPv6 — never starting with `-`, which ssh would read as an option. */
const HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\])$/;
const USER = /^[A-Za-z0-9._~+][A-Za-z0-9._~+-]*$/;
/** `[user@]host:path`: git's scp-like syntax (no `//` after the colon, else it would be a URL). */
const SCP = /^(?:([^@/:]+)@)?([^@/:]+):(?!\/\/)(.+)$/;

/** Why `repo` is refused, or undefined when it is an allowed form. Pure; never throws. */
export function repoProblem(repo: string): string | undefined {
  if (repo.length === 0 || !fitsUtf8(repo, MAX_REPO_BYTES)) return `must be 1 to ${MAX_REPO_BYTES} bytes of UTF-8`;
  if (repo.startsWith("-")) return "must not start with '-' (git would read it as an option)";
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what is refused
  if (/[\u0000-\u0020\u007f]/.test(repo)) return "must not contain spaces or control characters";
  if (/^[A-Za-z][A-Za-z0-9+.-]*::/.test(repo)) return "transport helpers (`ext::`, `fd::`, …) are not allowed";
  if (repo.startsWith("/")) return undefined;
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(repo)?.[1]?.toLowerCase();
  if (scheme !== undefined) {
    if (!SCHEMES.has(`${scheme}:`))
      return `scheme ${scheme}:// is not allowed (use https://, http://, ssh:// or git://)`;
    let url: URL;
    try {
      url = new URL(repo);
    } catch {
      return "is not a valid URL";
    }
    const host = url.hostname;
    if (!host || !HOST.test(host)) return "must name a host";
    if (url.username && !USER.test(decodedOrEmpty(url.username))) return "has an invalid user name";
    return undefined;
  }
  const scp = SCP.exec(repo);
  if (scp) {
    const [, user, host, rest] = scp;
    if (!HOST.test(host as string)) return "must name a host";
    if (user !== undefined && !USER.test(user)) return "has an invalid user name";
    if ((rest as string).startsWith("-")) return "path must not start with '-'";
    return undefined;
  }
  return "must be an https://, http://, ssh:// or git:// URL, user@host:path, or an absolute path";
}

/**
 * A URL's user name, percent-decoded; "" when an escape is malformed (`%ZZ`, a cut UTF-8 sequence), which
 * `decodeURIComponent` throws on — this module promises never to throw, and a throw inside the manifest schema's
 * refinement escaped zod as a 500 at submit.
 */
function decodedOrEmpty(encoded: string): string {
  try {
    return decodeURIComponent(encoded);
  } catch {
    return "";
  }
}

/** True for the absolute-path form: a repository on the factory host's own filesystem. */
export function isLocalRepo(repo: string): boolean {
  return repo.startsWith("/");
}
