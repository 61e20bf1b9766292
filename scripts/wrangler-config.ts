/**
 * @module scripts/wrangler-config
 * What the local runtime takes from wrangler.toml: Miniflare's worker options for its bindings (wrangler's own reading,
 * `unstable_getMiniflareWorkerOptions`) and the cron expressions. Read by wrangler, or loaded from a JSON file such a
 * read wrote.
 *
 * Why the file: importing wrangler costs ~1.7 CPU-s (2.7 s of wall time on a loaded 2-core machine), and an end-to-end
 * run starts ~70 runtimes from one unchanged wrangler.toml. Its global set-up reads it once (test/e2e/global-setup)
 * and each runtime the harness starts loads the file (`--wrangler-config`). `npm start` and `npm run dev` read
 * wrangler.toml at each start, as before.
 */
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { unstable_getMiniflareWorkerOptions } from "wrangler";
import { ROOT } from "./wrangler-runs.ts";

type WorkerOptions = ReturnType<typeof unstable_getMiniflareWorkerOptions>["workerOptions"];

export interface WranglerConfig {
  /** Miniflare's (v4 shape) options for the Worker: bindings, compatibility, assets; only the keys that are set. */
  workerOptions: WorkerOptions;
  /** `[triggers] crons`, as written (UTC cron expressions); [] when there are none. */
  crons: string[];
}

/**
 * wrangler.toml (`config`, default the project's) read by wrangler. Throws wrangler's own error when the file cannot
 * be read or is invalid — before anything starts: a typo must not surface a minute later.
 */
export async function readWranglerConfig(config = path.join(ROOT, "wrangler.toml")): Promise<WranglerConfig> {
  // Imported here, not at the top: a runtime given a read's file (`loadWranglerConfig`) never loads wrangler.
  const { unstable_getMiniflareWorkerOptions, unstable_readConfig } = await import("wrangler");
  // Keys left undefined (e.g. `config`) fail Miniflare's validation: keep only the set ones. The bundle is one
  // self-contained module, so module rules (which Miniflare 5 cannot take) do not apply.
  const workerOptions = Object.fromEntries(
    Object.entries(unstable_getMiniflareWorkerOptions(config).workerOptions).filter(
      ([k, v]) => v !== undefined && k !== "modulesRules",
    ),
  ) as WorkerOptions;
  const crons = unstable_readConfig({ config }, { hideWarnings: true }).triggers.crons ?? [];
  return { workerOptions, crons };
}

/** Writes `read` to `file` as JSON (every value wrangler gives here is plain data: strings, numbers, objects). */
export function saveWranglerConfig(file: string, read: WranglerConfig): void {
  writeFileSync(file, JSON.stringify(read));
}

/**
 * The read `saveWranglerConfig` wrote to `file`. Throws when the file is missing, is not JSON, or lacks
 * `workerOptions` (an object) or `crons` (an array of strings).
 */
export function loadWranglerConfig(file: string): WranglerConfig {
  const read = JSON.parse(readFileSync(file, "utf8")) as Partial<WranglerConfig> | null;
  const options = read?.workerOptions;
  const crons = read?.crons;
  if (
    typeof options !== "object" ||
    options === null ||
    !Array.isArray(crons) ||
    crons.some((c) => typeof c !== "string")
  )
    throw new Error(`${file} is not a wrangler.toml read (saveWranglerConfig): workerOptions or crons missing`);
  return { workerOptions: options, crons };
}
