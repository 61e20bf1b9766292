/**
 * @module scripts/vendor-dashboard
 * `npm run vendor:dashboard [-- --check]`: copies the browser builds the dashboard imports from node_modules
 * into `dashboard/vendor/` (with their licences), because the dashboard is static files served as they are — by the
 * Worker's static assets and by Pages — with no bundler and a CSP of `script-src 'self'`, so a library must be a
 * same-origin file. Today: `@dagrejs/dagre` (the DAG view's layout; its ESM build is self-contained, graphlib
 * included) and `uplot` (the budget burndown chart: ~50 KB, no dependencies, canvas time series, maintained) with its
 * stylesheet. The copies are committed, so a deploy needs no install step; run this after upgrading the package.
 * `--check` exits 1 when a committed copy differs from node_modules (a forgotten refresh).
 */
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(import.meta.dirname, "..");

/** What is vendored: the source in node_modules, its licence texts, the file the dashboard imports. */
const VENDORED = [
  {
    name: "@dagrejs/dagre",
    from: "node_modules/@dagrejs/dagre/dist/dagre.esm.js",
    licences: ["node_modules/@dagrejs/dagre/LICENSE", "node_modules/@dagrejs/dagre/dist/dagre.esm.js.LEGAL.txt"],
    to: "dashboard/vendor/dagre.esm.js",
    licenceTo: "dashboard/vendor/dagre.LICENSE.txt",
  },
  {
    name: "uplot",
    from: "node_modules/uplot/dist/uPlot.esm.js",
    licences: ["node_modules/uplot/LICENSE"],
    to: "dashboard/vendor/uPlot.esm.js",
    licenceTo: "dashboard/vendor/uPlot.LICENSE.txt",
  },
  {
    name: "uplot",
    from: "node_modules/uplot/dist/uPlot.min.css",
    licences: ["node_modules/uplot/LICENSE"],
    to: "dashboard/vendor/uPlot.min.css",
    licenceTo: "dashboard/vendor/uPlot.LICENSE.txt",
  },
];

/** The vendored text: the build without its source-map comment (the map is not shipped, so the browser would 404). */
export function vendoredText(source: string): string {
  return source.replace(/\n\/\/# sourceMappingURL=\S+\s*$/, "\n");
}

function main(check: boolean): number {
  let stale = 0;
  for (const v of VENDORED) {
    const version = (
      JSON.parse(readFileSync(path.join(ROOT, path.dirname(v.from), "..", "package.json"), "utf8")) as {
        version: string;
      }
    ).version;
    const code = vendoredText(readFileSync(path.join(ROOT, v.from), "utf8"));
    const licence = [
      `${v.licenceTo.includes("uPlot") ? "uPlot.esm.js, uPlot.min.css" : v.to.split("/").pop()} — ${v.name} ${version}`,
      ...v.licences.map((l) => readFileSync(path.join(ROOT, l), "utf8")),
    ].join("\n\n");
    if (check) {
      const same = (file: string, text: string) => {
        try {
          return readFileSync(path.join(ROOT, file), "utf8") === text;
        } catch {
          return false;
        }
      };
      if (!same(v.to, code) || !same(v.licenceTo, licence)) {
        console.error(`✘ ${v.to} differs from ${v.from}: run npm run vendor:dashboard`);
        stale++;
      }
      continue;
    }
    writeFileSync(path.join(ROOT, v.to), code);
    writeFileSync(path.join(ROOT, v.licenceTo), licence);
    console.log(`✔ ${v.to} (${version})`);
  }
  return stale > 0 ? 1 : 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exit(main(process.argv.includes("--check")));
}
