// `gigafactory metrics --prometheus` writes the exposition verbatim into a pipe, but on a terminal its control
// characters are shown as pictures, not obeyed (an escape in a label value cleared the screen or wrote the clipboard,
// as an artifact shown there no longer can); `gigafactory stats` prints the queue version its summary promises,
// which only --json showed.
import { describe, expect, it } from "vitest";
import { captureCli, connection, stubCoordinator } from "../support/cli-harness.ts";

const HOSTILE = 'gigafactory_up{factory="box\u001b]52;c;ZXZpbA==\u0007\u001b[2J"} 1\n';

describe("gigafactory metrics --prometheus", () => {
  it("neutralises control characters on a terminal and keeps the bytes in a pipe", async () => {
    const { url } = await stubCoordinator((_req, reply) => reply.text(200, HOSTILE, "text/plain; version=0.0.4"));
    const tty = await captureCli(["metrics", "--prometheus", ...connection(url, "shop")], { stdoutIsTTY: true });
    expect(tty.code).toBe(0);
    expect(tty.stdout).toBe('gigafactory_up{factory="box␛]52;c;ZXZpbA==␇␛[2J"} 1\n');
    const pipe = await captureCli(["metrics", "--prometheus", ...connection(url, "shop")]);
    expect(pipe.stdout).toBe(HOSTILE);
  });
});

describe("gigafactory stats", () => {
  it("prints the queue version under the table", async () => {
    const stats = { counts: { queued: 2 }, total: 2, queueVersion: 17, generated_at: 0 };
    const { url } = await stubCoordinator((_req, reply) => reply.json(200, stats));
    const r = await captureCli(["stats", ...connection(url, "shop")]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^total\s+2\n\nqueue version 17\n$/m);
  });
});
