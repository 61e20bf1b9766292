/**
 * @module scripts/free-port
 * A free loopback port for a runtime that binds it a moment later — chosen below the kernel's ephemeral range, so
 * that the outgoing connections of everything else on the machine cannot take it in that moment.
 *
 * Why: a port the OS hands out for `listen(0)` comes from the ephemeral range (Linux: ip_local_port_range, 32768–60999
 * by default), the range every outgoing connection's local port is numbered from too. Between our check and the
 * runtime's own bind (hundreds of ms while workerd starts), a busy loopback — the e2e load tests open thousands of
 * sockets beside it — could take that very port, and the runtime failed with "Address already in use" (a CI flake,
 * pass 26). Below the range only another listener can take it, and a random pick among ~22,000 ports makes two
 * concurrent picks colliding rare; callers that can (bench/local-system, bench/floor, the e2e harness) also retry
 * on a port taken anyway.
 */
import { readFileSync } from "node:fs";
import { createServer } from "node:net";

/** The lowest port the picks use: below it are the well-known and registered ports services commonly listen on. */
export const PICK_FLOOR = 10_000;

/**
 * The first port of the kernel's ephemeral range, or undefined where it cannot be read (not Linux, no /proc).
 * @param file the range file (a parameter for the unit test)
 */
export function ephemeralLow(file = "/proc/sys/net/ipv4/ip_local_port_range"): number | undefined {
  try {
    const low = Number(readFileSync(file, "utf8").trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > 0 && low <= 65_535 ? low : undefined;
  } catch {
    return undefined;
  }
}

/** Whether `port` can be bound on 127.0.0.1 now (released at once). */
function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once("error", () => resolve(false));
    srv.listen({ port, host: "127.0.0.1", exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

/** A port the OS chooses (its ephemeral range). */
function osPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * A loopback port free now: a random one in [PICK_FLOOR, the ephemeral range's start) that binds, or — where the range
 * is unknown, starts at or below PICK_FLOOR, or 64 picks found none free — one from the OS.
 * @param low the ephemeral range's first port (default: read from the kernel)
 * @returns a TCP port number
 */
export async function freePort(low = ephemeralLow()): Promise<number> {
  if (low !== undefined && low > PICK_FLOOR) {
    for (let i = 0; i < 64; i++) {
      const port = PICK_FLOOR + Math.floor(Math.random() * (low - PICK_FLOOR));
      if (await bindable(port)) return port;
    }
  }
  return osPort();
}
