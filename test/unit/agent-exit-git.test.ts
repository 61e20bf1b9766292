// A git command still running when the agent exits goes with it (agent/agent-exit): a drain whose time ran out while a
// checkpoint push hung on a remote that never answers exited and left that push running, orphaned in its own process
// group — and past every bound, since those are the agent's own timers (agent/git-bounds). A real process exits the
// agent's way while real git pushes to a loopback TCP server that never writes a byte; the server sees git hang up.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { until } from "./agent-fakes.ts";
import { originRepo } from "./agent-git-fixture.ts";

const root = mkdtempSync(path.join(tmpdir(), "gf-agent-exit-git-"));
const open = new Set<net.Socket>();
let connections = 0;
const silent = net.createServer((socket) => {
  connections += 1;
  open.add(socket);
  socket.on("close", () => open.delete(socket));
  socket.on("error", () => undefined);
  socket.resume(); // reads what git sends, never answers
});
beforeAll(() => new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve)));
afterAll(() => {
  for (const s of open) s.destroy();
  silent.close();
  rmSync(root, { recursive: true, force: true });
});

it("the agent's exit kills a checkpoint push that hangs on its remote", async () => {
  const repo = originRepo(path.join(root, "repo"));
  const url = `http://127.0.0.1:${(silent.address() as net.AddressInfo).port}/app.git`;
  const src = path.resolve(import.meta.dirname, "../../src/agent");
  const script = path.join(root, "exit.ts");
  writeFileSync(
    script,
    `import { gitRemote } from ${JSON.stringify(`${src}/git-remote.ts`)};
import { exitAgent } from ${JSON.stringify(`${src}/agent-exit.ts`)};
void gitRemote(["push", "-q", "--", ${JSON.stringify(url)}, "HEAD:refs/heads/gf/wip/job_x-e1"], { cwd: ${JSON.stringify(repo)} }).catch(() => undefined);
process.stdin.once("data", () => exitAgent());
`,
  );
  const child = spawn(process.execPath, [script], { stdio: ["pipe", "ignore", "inherit"] });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  await until("git's push connecting", () => connections > 0 && open.size > 0);
  child.stdin.write("exit\n");
  expect(await exited).toBe(0);
  await until("git hanging up", () => open.size === 0, 10_000); // it ran on, orphaned, with no bound
});
