/**
 * `npm run bench` — entry point; see README.md for what each figure means.
 *
 * The scenarios drive test/support/ws-factory.ts, which uses a TypeScript
 * parameter property: Node 22's default type stripping refuses that syntax.
 * If it cannot be loaded as is, this re-runs itself once with
 * --experimental-transform-types (same Node, same arguments); otherwise it
 * runs in this process.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

async function wsFactoryLoads(): Promise<boolean> {
  try {
    await import("../test/support/ws-factory.ts");
    return true;
  } catch (err) {
    if ((err as { code?: string }).code === "ERR_UNSUPPORTED_TYPESCRIPT_SYNTAX") return false;
    throw err;
  }
}

if (await wsFactoryLoads()) {
  const { main } = await import("./suite.ts");
  process.exit(await main(process.argv.slice(2)));
} else {
  const child = spawn(
    process.execPath,
    [
      ...process.execArgv,
      "--experimental-transform-types",
      "--disable-warning=ExperimentalWarning",
      fileURLToPath(import.meta.url),
      ...process.argv.slice(2),
    ],
    { stdio: "inherit" },
  );
  // Ctrl-C in a terminal reaches both of us; a signal sent to this process alone is passed on.
  // The child stops the local server either way (and ignores a second signal).
  for (const sig of ["SIGINT", "SIGTERM"] as const) process.on(sig, () => child.kill(sig));
  child.on("exit", (code, signal) => process.exit(code ?? (signal === "SIGINT" ? 130 : 1)));
}
