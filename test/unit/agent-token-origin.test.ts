// The config file's factory token goes only to the coordinator it was issued for (the file's own URL), as `gh` and
// git's credential helpers scope theirs: a real `run` given `--url` of another origin (a typo, a stale shell variable)
// exits 2 with `token_other_origin` before any request — the stranger's server sees nothing — while the same `--url`
// with the token given explicitly is the operator's choice and is used.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir, userInfo } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { until } from "./agent-fakes.ts";
import { startAgent } from "./agent-process.ts";

const TOKEN = `gf_acme_${"T".repeat(43)}`;
const dir = mkdtempSync(path.join(tmpdir(), "gf-agent-origin-"));
/** What reached the stranger: each request's or upgrade's Authorization header. */
const seen: string[] = [];
const stranger = createServer((req, res) => {
  seen.push(req.headers.authorization ?? "");
  res.writeHead(404).end();
});
stranger.on("upgrade", (req, socket) => {
  seen.push(req.headers.authorization ?? "");
  socket.destroy();
});
let strangerUrl = "";

beforeAll(async () => {
  await new Promise<void>((r) => stranger.listen(0, "127.0.0.1", r));
  strangerUrl = `http://127.0.0.1:${(stranger.address() as AddressInfo).port}`;
});
afterAll(() => {
  stranger.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A state dir whose config file holds the token, issued for a coordinator on port 9 (nothing listens there). */
function enrolledState(name: string): string {
  const stateDir = path.join(dir, name);
  mkdirSync(stateDir, { mode: 0o700 });
  const config = { url: "http://127.0.0.1:2", product: "acme", token: TOKEN };
  writeFileSync(path.join(stateDir, "config.json"), JSON.stringify(config), { mode: 0o600 });
  return stateDir;
}

const run = (stateDir: string, ...extra: string[]) => [
  "run",
  "--state-dir",
  stateDir,
  "--url",
  strangerUrl,
  "--engine-user",
  userInfo().username,
  ...extra,
];

describe("the config file's token and a --url of another origin", () => {
  it("is refused before any request: token_other_origin, exit 2, naming both origins and the file", async () => {
    const stateDir = enrolledState("typo");
    const agent = startAgent(run(stateDir));
    // Refused, or (the fault) the token at the stranger's door: whichever comes first.
    await until("the agent refused or the stranger reached", () => agent.code() ?? seen.length > 0);
    await agent.stop();
    expect(seen).toEqual([]);
    const file = path.join(stateDir, "config.json");
    expect(agent.out()).toContain(
      `✘ ERROR token_other_origin: the token in ${file} was issued for http://127.0.0.1:2, not ${strangerUrl} (--url)`,
    );
    expect(agent.out()).toContain(
      `pass --token for ${strangerUrl}, or update "url" in ${file} if the coordinator moved`,
    );
    expect(agent.code()).toBe(2);
  });

  it("goes there when the token is given explicitly (the control: the refusal is what kept it away)", async () => {
    const agent = startAgent(run(enrolledState("explicit"), "--token", TOKEN));
    try {
      await until("the stranger's server reached", () => seen.length > 0);
      expect(seen[0]).toBe(`Bearer ${TOKEN}`);
    } finally {
      await agent.stop();
    }
  });
});
