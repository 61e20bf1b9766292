/**
 * What `npm run bench:profile` prints from one DevTools CPU profile: self time by function, and on request time
 * with callees (`--inclusive`), a helper's callers (`--callers NAME`, repeatable), a function's callees
 * (`--children NAME`, repeatable) and the hottest bundle lines (`--lines`). Shares are of the profile's wall time.
 * `--save FILE` also writes the profile itself: DevTools (Performance → Load profile) or a script can read it.
 */
import { writeFileSync } from "node:fs";

export interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  positionTicks?: Array<{ line: number; ticks: number }>;
  children?: number[];
}
export interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
}

/** Self time (ms) per key, biggest first. */
export function selfTimes(p: Profile, key: (n: ProfileNode) => string): Array<[string, number]> {
  const total = p.nodes.reduce((s, n) => s + (n.hitCount ?? 0), 0) || 1;
  const perSample = (p.endTime - p.startTime) / 1000 / total;
  const by = new Map<string, number>();
  for (const n of p.nodes) by.set(key(n), (by.get(key(n)) ?? 0) + (n.hitCount ?? 0) * perSample);
  return [...by].sort((a, b) => b[1] - a[1]);
}

/** Print `profile`'s tables as `argv` asks for them. */
export function printProfile(profile: Profile, argv: readonly string[]): void {
  const saveAt = argv.indexOf("--save");
  if (saveAt >= 0 && argv[saveAt + 1]) writeFileSync(argv[saveAt + 1]!, JSON.stringify(profile));
  const wall = (profile.endTime - profile.startTime) / 1000;
  const show = (title: string, rows: Array<[string, number]>) => {
    console.log(`\n${title}`);
    for (const [k, ms] of rows.slice(0, 30)) console.log(`${((100 * ms) / wall).toFixed(1).padStart(6)} %  ${k}`);
  };
  show(
    "self time by function",
    selfTimes(
      profile,
      (n) => `${n.callFrame.functionName || "(anon)"} ${n.callFrame.url.split("/").pop()}:${n.callFrame.lineNumber}`,
    ),
  );
  if (argv.includes("--inclusive")) {
    // Time under each function, callees included (a recursive function counted once): which path costs what.
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    const total = profile.nodes.reduce((s, n) => s + (n.hitCount ?? 0), 0) || 1;
    const by = new Map<string, number>();
    const walk = (id: number, open: Set<string>): number => {
      const n = byId.get(id)!;
      const name = n.callFrame.functionName || "(anon)";
      const first = !open.has(name);
      const inner = first ? new Set(open).add(name) : open;
      let sum = n.hitCount ?? 0;
      for (const c of n.children ?? []) sum += walk(c, inner);
      if (first) by.set(name, (by.get(name) ?? 0) + sum);
      return sum;
    };
    walk(profile.nodes[0]!.id, new Set());
    console.log("\ninclusive time by function");
    for (const [k, v] of [...by].sort((a, b) => b[1] - a[1]).slice(0, 45))
      console.log(`${((100 * v) / total).toFixed(1).padStart(6)} %  ${k}`);
  }
  for (const name of argv.flatMap((a, i) => (argv[i - 1] === "--callers" ? [a] : []))) {
    // Who calls a hot helper (e.g. `one`, the SQL helper): its self time split by the calling function.
    const parent = new Map<number, ProfileNode>();
    for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n);
    const by = new Map<string, number>();
    for (const n of profile.nodes) {
      if (n.callFrame.functionName !== name) continue;
      const p = parent.get(n.id)?.callFrame.functionName || "(anon)";
      by.set(p, (by.get(p) ?? 0) + (n.hitCount ?? 0));
    }
    const total = profile.nodes.reduce((s, n) => s + (n.hitCount ?? 0), 0) || 1;
    console.log(`\ncallers of ${name}`);
    for (const [k, v] of [...by].sort((a, b) => b[1] - a[1]).slice(0, 20))
      console.log(`${((100 * v) / total).toFixed(1).padStart(6)} %  ${k}`);
  }
  for (const name of argv.flatMap((a, i) => (argv[i - 1] === "--children" ? [a] : []))) {
    // Where a function's time goes (`--children NAME`, repeatable): its callees' inclusive time, self time as
    // "(self)", over every call site of NAME.
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    const inclusive = (id: number): number => {
      const n = byId.get(id)!;
      return (n.hitCount ?? 0) + (n.children ?? []).reduce((s, c) => s + inclusive(c), 0);
    };
    const by = new Map<string, number>();
    for (const n of profile.nodes) {
      if (n.callFrame.functionName !== name) continue;
      by.set("(self)", (by.get("(self)") ?? 0) + (n.hitCount ?? 0));
      for (const c of n.children ?? []) {
        const k = byId.get(c)!.callFrame.functionName || "(anon)";
        by.set(k, (by.get(k) ?? 0) + inclusive(c));
      }
    }
    const total = profile.nodes.reduce((s, n) => s + (n.hitCount ?? 0), 0) || 1;
    console.log(`\ncallees of ${name} (inclusive)`);
    for (const [k, v] of [...by].sort((a, b) => b[1] - a[1]).slice(0, 25))
      console.log(`${((100 * v) / total).toFixed(1).padStart(6)} %  ${k}`);
  }
  if (argv.includes("--lines")) {
    // The hottest lines of the bundle (1-based): where inside a function its self time goes.
    const lines = new Map<string, number>();
    for (const n of profile.nodes)
      for (const t of n.positionTicks ?? [])
        lines.set(
          `${n.callFrame.functionName || "(anon)"}:${t.line}`,
          (lines.get(`${n.callFrame.functionName || "(anon)"}:${t.line}`) ?? 0) + t.ticks,
        );
    const total = profile.nodes.reduce((s, n) => s + (n.hitCount ?? 0), 0) || 1;
    console.log("\nhottest bundle lines");
    for (const [k, v] of [...lines].sort((a, b) => b[1] - a[1]).slice(0, 25))
      console.log(`${((100 * v) / total).toFixed(1).padStart(6)} %  ${k}`);
  }
}
