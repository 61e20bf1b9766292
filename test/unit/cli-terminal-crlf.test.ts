// A Windows line end (CR LF) in text shown on a terminal is a line end, not a `␍` at the end of every line: an
// artifact log written on Windows, shown by `gigafactory artifact` on a terminal, read `step 1␍` line after line. A CR
// before an LF overwrites nothing; a bare CR still does, and is still shown as `␍` (core/terminal-text).
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { terminalText } from "../../src/core/terminal-text.ts";
import { captureCli, connection, stubCoordinator } from "../support/cli-harness.ts";

describe("terminalText", () => {
  it("keeps a CR that ends a line and shows any other as ␍", () => {
    expect(terminalText("a\r\nb\rc\r\r\nd\r")).toBe("a\r\nb␍c␍\r\nd␍");
  });
});

describe("gigafactory artifact on a terminal", () => {
  it("shows a CRLF log's lines without a ␍ on each", async () => {
    const log = "step 1\r\nstep 2\r\nhidden\rshown\r\n";
    const stub = await stubCoordinator((_req, reply) =>
      reply.text(200, log, "text/plain", { "x-content-sha256": createHash("sha256").update(log).digest("hex") }),
    );
    const r = await captureCli(["artifact", "job_1", "log.txt", ...connection(stub.url, "p")], { stdoutIsTTY: true });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("step 1\r\nstep 2\r\nhidden␍shown\r\n");
  });
});
