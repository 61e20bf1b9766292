/**
 * @module agent/sandbox-mounts
 * What the sandbox (agent/sandbox) makes read-only, and the order of its bwrap mounts. Everything is writable in it
 * but the state dir, so an engine — the agent's own user — could rewrite the agent's installation (its src/, its
 * node_modules), and the next agent start ran the engine's code with the factory token. So the installation is bound
 * read-only, and the directories an engine must write that lie inside it (a work dir in the checkout, as the demo's
 * `.wrangler/demo/<name>-work`) are bound writable again on top. And a protected path's parents are each bound onto
 * themselves: a mount point cannot be renamed, and an engine that renamed a parent of the state dir or of the
 * installation (a mount moves with it) left the path to a directory of its own, which the next start ran or the next
 * sandbox hid in place of the real state dir. The work dir and the agent's dirs in it (agent/work-dirs) are bound
 * onto themselves too, and their parents, so an engine cannot swap one for a link to where the agent then acts.
 */
import { existsSync, mkdirSync, realpathSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** One bwrap mount: `pin` (a directory bound onto itself), `ro`, `rw` (writable again), `tmpfs`, `null` (/dev/null). */
type Mount = { kind: "pin" | "ro" | "rw" | "tmpfs" | "null"; at: string };

/** `inner` is `outer` or below it (absolute paths). */
export function within(outer: string, inner: string): boolean {
  const rel = path.relative(outer, inner);
  return rel === "" || (!rel.startsWith("..") && !path.isAbsolute(rel));
}

/** `dirs` without duplicates and without those inside another of them. */
function outermostOnly(dirs: readonly string[]): string[] {
  return [...new Set(dirs)].filter((d, _, all) => !all.some((o) => o !== d && within(o, d)));
}

/** `p`'s real path, or `p` itself when it does not exist (yet). */
export function realPath(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return path.resolve(p);
  }
}

/**
 * The agent's installation, as real paths: the directory holding this package's package.json (found from this
 * module's own URL), its `node_modules` when that is a link to elsewhere, and — installed as a dependency — the
 * outermost `node_modules` it sits in (its dependencies are hoisted there); and the node binary running it (a file:
 * one under `~/.nvm` is this user's to rewrite). `from` (tests) replaces this module's dir.
 */
export function agentInstallDirs(from = path.dirname(fileURLToPath(import.meta.url))): string[] {
  let root: string | undefined;
  for (let dir = realPath(from); root === undefined; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, "package.json"))) root = dir;
    else if (dir === path.dirname(dir)) return [];
  }
  const dirs = [root];
  const modules = path.join(root, "node_modules");
  if (existsSync(modules)) dirs.push(realPath(modules));
  let hoisted: string | undefined;
  for (let dir = path.dirname(root); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    if (path.basename(dir) === "node_modules") hoisted = dir; // the last one found is the outermost
  }
  if (hoisted) dirs.push(hoisted);
  dirs.push(realPath(process.execPath));
  return outermostOnly(dirs);
}

/**
 * The directories made writable again: each of `writable` (absolute) and the temp dir that lies strictly inside a
 * read-only one. `writable` ones are created first (bwrap cannot bind a missing directory, and an engine cannot make
 * one inside a read-only tree); the temp dir only when it exists.
 */
export function writableInside(readOnly: readonly string[], writable: readonly string[]): string[] {
  const inside = (d: string) => readOnly.some((r) => r !== d && within(r, d));
  const out: string[] = [];
  for (const dir of writable.map((d) => path.resolve(d))) {
    if (!inside(realPath(dir))) continue;
    mkdirSync(dir, { recursive: true });
    out.push(realPath(dir));
  }
  const tmp = realPath(tmpdir());
  if (inside(tmp) && existsSync(tmp)) out.push(tmp);
  return outermostOnly(out); // one bind for a tree: a checkpoint remote in the work dir is writable with it
}

const ORDER: Record<Mount["kind"], number> = { pin: 0, ro: 1, rw: 2, tmpfs: 3, null: 4 };

/**
 * The bwrap mount options after `--dev-bind / /`: parents first (a mount covers what an earlier one put below it), so
 * pins, then the read-only installation, the writable dirs inside it, the hidden state dir and files. Every existing
 * strict parent (not `/`) of a read-only, hidden or `pinned` path that an engine could rename is pinned: one outside
 * the read-only trees, or inside a writable one, and not inside a hidden dir.
 */
export function mountArgs(box: {
  readOnly: readonly string[];
  writable: readonly string[];
  hideDirs: readonly string[];
  hideFiles: readonly string[];
  /** Directories bound onto themselves, their parents too (agent/work-dirs: the work dir and the agent's in it). */
  pinned?: readonly string[];
}): string[] {
  const taken = new Set(box.writable);
  const mounts: Mount[] = [
    ...(box.pinned ?? []).filter((at) => !taken.has(at)).map((at) => ({ kind: "pin" as const, at })),
    ...box.readOnly.map((at) => ({ kind: "ro" as const, at })),
    ...box.writable.map((at) => ({ kind: "rw" as const, at })),
    ...box.hideDirs.map((at) => ({ kind: "tmpfs" as const, at })),
    ...box.hideFiles.map((at) => ({ kind: "null" as const, at })),
  ];
  const renamable = (dir: string) =>
    !box.hideDirs.some((h) => within(realPath(h), dir)) &&
    (box.writable.some((w) => within(w, dir)) || !box.readOnly.some((r) => within(r, dir)));
  for (const m of mounts) taken.add(m.at);
  const pins = new Set<string>();
  for (const { at } of mounts.filter((m) => m.kind !== "rw")) {
    for (let dir = path.dirname(realPath(at)); dir !== path.dirname(dir); dir = path.dirname(dir)) {
      if (!taken.has(dir) && renamable(dir) && existsSync(dir)) pins.add(dir);
    }
  }
  mounts.push(...[...pins].map((at) => ({ kind: "pin" as const, at })));
  const depth = (p: string) => p.split("/").filter(Boolean).length;
  mounts.sort((a, b) => depth(a.at) - depth(b.at) || ORDER[a.kind] - ORDER[b.kind]);
  return mounts.flatMap(({ kind, at }) => {
    if (kind === "pin" || kind === "rw") return ["--dev-bind", at, at];
    if (kind === "ro") return ["--ro-bind", at, at];
    if (kind === "tmpfs") return ["--tmpfs", at];
    return ["--ro-bind", "/dev/null", at];
  });
}
