// The integration config's rewrite of miniflare's WebSocket client (scripts/patch-miniflare-deflate): miniflare's
// `fetch`, which the test pool opens its socket to each workerd with, offers no permessage-deflate, so a server that
// would take it (the workerd did) runs the socket uncompressed — every module sent to a runtime was deflated in
// vitest's process and inflated in the workerd; the messages arrive as sent. A second run changes nothing; other
// text is left alone with one warning.
import { readFileSync, writeFileSync } from "node:fs";
import type { IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { WebSocketServer } from "ws";
import {
  MINIFLARE_DEFLATE_PATCH,
  PATCHED,
  patchMiniflareDeflate,
  patchMiniflareDeflateFile,
  patchMiniflareDeflateText,
  UNPATCHED,
} from "../../scripts/patch-miniflare-deflate.ts";
import { testTempDir } from "../support/temp-dir.ts";

const ROOT = path.resolve(import.meta.dirname, "../..");
const INSTALLED = path.join(ROOT, "node_modules", "miniflare", MINIFLARE_DEFLATE_PATCH.file);

let server: WebSocketServer | undefined;
afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

describe("miniflare's WebSocket client, as the integration config leaves it", () => {
  it("offers no permessage-deflate to a server that would take it, and the socket carries messages as sent", async () => {
    expect(["patched", "already"]).toContain(patchMiniflareDeflate(ROOT)); // what the config does before the pool
    const { fetch } = await import("miniflare");
    const seen: { offer?: string; message?: string } = {};
    server = new WebSocketServer({ host: "127.0.0.1", port: 0, perMessageDeflate: true });
    server.on("connection", (socket, req: IncomingMessage) => {
      seen.offer = req.headers["sec-websocket-extensions"];
      socket.on("message", (data) => {
        seen.message = data.toString();
        socket.send("back");
      });
    });
    await new Promise((resolve) => server?.once("listening", resolve));
    const { port } = server.address() as AddressInfo;
    const res = await fetch(`http://127.0.0.1:${port}/`, { headers: { Upgrade: "websocket" } });
    const ws = res.webSocket;
    expect(ws).not.toBeNull();
    ws?.accept();
    const back = new Promise<string>((resolve) => ws?.addEventListener("message", (e) => resolve(String(e.data))));
    ws?.send("x".repeat(100_000)); // past ws's 1 KiB threshold: it would have been deflated
    expect(await back).toBe("back");
    ws?.close();
    expect(seen.offer).toBeUndefined(); // was "permessage-deflate; client_max_window_bits"
    expect(res.headers.get("sec-websocket-extensions")).toBeNull();
    expect(seen.message).toBe("x".repeat(100_000));
  });
});

describe("the rewrite", () => {
  it("holds the installed text once rewritten, and changes nothing a second time", () => {
    patchMiniflareDeflate(ROOT);
    const text = readFileSync(INSTALLED, "utf8");
    expect(text.split(PATCHED).length - 1).toBe(1);
    expect(text).not.toContain(UNPATCHED);
    expect(patchMiniflareDeflateText(text)).toEqual({ outcome: "already", text });
    const unpatched = text.replace(PATCHED, UNPATCHED);
    expect(patchMiniflareDeflateText(unpatched)).toEqual({ outcome: "patched", text });
  });

  it("leaves other text alone, with one warning", () => {
    const file = path.join(testTempDir("gf-patch-deflate-"), "index.js");
    writeFileSync(file, "const ws = new WebSocket(url);\n");
    const warnings: string[] = [];
    expect(patchMiniflareDeflateFile(file, (l) => warnings.push(l))).toBe("unknown");
    expect(patchMiniflareDeflateFile(file, (l) => warnings.push(l))).toBe("unknown");
    expect(readFileSync(file, "utf8")).toBe("const ws = new WebSocket(url);\n");
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain("scripts/patch-miniflare-deflate.ts");
  });
});
