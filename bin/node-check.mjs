// Refuse, readably, to run on a Node that cannot strip TypeScript types: the `✘ ERROR` line on stderr and, when the
// command line asks for --json (before any `--`), the error document on stdout too, as every other failure of the
// CLI gives it — a script reading stdout got nothing, not even that it failed.
export function ensureNode(tool) {
  const [major, minor] = process.versions.node.split(".").map(Number);
  if (major > 22 || (major === 22 && minor >= 18)) return;
  const error = {
    code: "node_too_old",
    message: `${tool} needs Node 22.18 or newer, this is v${process.versions.node}`,
    fix: `run it through \`npx ${tool}\` inside the gigafactory checkout (which uses its pinned Node 22), or install Node 22`,
    exitCode: 2,
  };
  console.error(`✘ ERROR ${error.code}: ${error.message} / ${error.fix}`);
  const argv = process.argv.slice(2);
  const end = argv.indexOf("--");
  if ((end < 0 ? argv : argv.slice(0, end)).includes("--json")) {
    process.stdout.write(`${JSON.stringify({ error }, null, 2)}\n`);
  }
  process.exit(2);
}
