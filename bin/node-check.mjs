// Refuse, readably, to run on a Node that cannot strip TypeScript types.
export function ensureNode(tool) {
  const [major, minor] = process.versions.node.split(".").map(Number);
  if (major > 22 || (major === 22 && minor >= 18)) return;
  console.error(
    `✘ ERROR node_too_old: ${tool} needs Node 22.18 or newer, this is ${process.version} / ` +
      "run it through `npx " + tool + "` inside the gigafactory checkout (which uses its pinned Node 22), or install Node 22",
  );
  process.exit(2);
}
