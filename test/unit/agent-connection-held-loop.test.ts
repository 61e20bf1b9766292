// The agent's socket bounds (agent/connection) judge the coordinator's silence, not the agent's: with the agent's event
// loop held past a bound (a loaded host) while the answer was already in its socket, the bound's timer fired in the
// timers phase, before the poll phase read that answer — a request whose `ack` had arrived failed as `timeout` (a
// heartbeat's then dropped a healthy socket), an upgrade whose 101 had arrived (ws's own idle timer) and a socket whose
// `welcome` had arrived were ended, and a readiness wait gave up on a connection ready the moment it was read. Each bound now decides after a poll. The order is forced
// over a real socket: the coordinator runs in a worker thread (test/unit/agent-held-loop) and the test holds the loop
// until it has written its answer and the bound is past. A coordinator that truly says nothing still meets each bound.
import { afterEach, describe, expect, it } from "vitest";
import { FactoryConnection, FrameError, type HelloInfo } from "../../src/agent/connection.ts";
import { COUNT, coordinatorInWorker, HELLO, type HeldLoopCoordinator, holdUntil, until } from "./agent-held-loop.ts";

/** The bounds under test (ms): short, as the hold must pass them; the upgrade on loopback takes a few ms. */
const REQUEST_BOUND_MS = 250;
const HANDSHAKE_BOUND_MS = 1_000;

let coordinator: HeldLoopCoordinator | undefined;
let conn: FactoryConnection | undefined;
afterEach(async () => {
  conn?.close();
  await coordinator?.close();
  conn = undefined;
  coordinator = undefined;
});

/**
 * A connection to `url`; `hello` runs at each `open`, before the hello is sent. Every disconnect's words are kept, and
 * `dropped` resolves with the first.
 */
function connect(url: string, hello: () => HelloInfo = () => HELLO, handshakeTimeoutMs = HANDSHAKE_BOUND_MS) {
  const disconnects: string[] = [];
  let drop: (why: string) => void = () => undefined;
  const dropped = new Promise<string>((resolve) => {
    drop = resolve;
  });
  const onDisconnected = (why: string) => {
    disconnects.push(why);
    drop(why);
  };
  const c = new FactoryConnection({
    url,
    product: "p",
    token: "t",
    hello,
    handshakeTimeoutMs,
    handlers: { onWelcome() {}, onFrame() {}, onDisconnected, onFatal() {} },
  });
  return { c, disconnects, dropped };
}

/** `hello` that, once, holds the loop right after the hello is sent (the check phase after the `open` event). */
function holdingHello(hold: () => void): () => HelloInfo {
  let done = false;
  return () => {
    if (!done) setImmediate(hold);
    done = true;
    return HELLO;
  };
}

describe("the agent's socket bounds, with its loop held", () => {
  it("resolves a request whose ack was written before its timeout", async () => {
    coordinator = await coordinatorInWorker();
    const co = coordinator;
    ({ c: conn } = connect(co.url));
    conn.start();
    await conn.whenReady();
    const since = Date.now();
    const answer = conn.request({ type: "heartbeat" }, REQUEST_BOUND_MS);
    expect(holdUntil(() => co.count(COUNT.acks) === 1 && Date.now() - since >= 2 * REQUEST_BOUND_MS)).toBe(true);
    await expect(answer).resolves.toEqual({});
  });

  it("keeps an upgrade whose answer was written before the upgrade bound", async () => {
    coordinator = await coordinatorInWorker({ upgrade: "whenHeld" });
    const co = coordinator;
    // 2 s: the hold ends 0.5 s past it, and 1.5 s before the welcome bound (twice it), which is not under test here.
    const bound = 2_000;
    const since = Date.now();
    const made = connect(co.url, () => HELLO, bound);
    conn = made.c;
    conn.start();
    await until("the upgrade request read", () => co.count(COUNT.upgrades) === 1);
    // Held from the check phase, as an I/O callback holds a loaded host's loop. (`until` resumes in the timers phase,
    // whose timers due during a hold there wait for the next turn — after the poll that reads the answer.)
    await new Promise((resolve) => setImmediate(resolve));
    co.holding(); // answered from now on, while this loop is held
    expect(holdUntil(() => co.count(COUNT.upgraded) === 1 && Date.now() - since >= bound + 500)).toBe(true);
    await conn.whenReady();
    expect(made.disconnects).toEqual([]);
    expect(co.count(COUNT.upgrades)).toBe(1);
  });

  it("keeps a socket whose welcome was written before the welcome bound", async () => {
    coordinator = await coordinatorInWorker();
    const co = coordinator;
    let held: boolean | undefined;
    const since = Date.now();
    const welcomeBound = 2 * HANDSHAKE_BOUND_MS;
    const hold = () => {
      held = holdUntil(() => co.count(COUNT.welcomes) === 1 && Date.now() - since >= 2 * welcomeBound);
    };
    const made = connect(co.url, holdingHello(hold));
    conn = made.c;
    conn.start();
    await conn.whenReady();
    expect(held).toBe(true);
    // Read after the welcome bound would have fired: a terminated socket had been opened again, with a second hello.
    expect(made.disconnects).toEqual([]);
    expect(co.count(COUNT.hellos)).toBe(1);
    expect(conn.ready).toBe(true);
  });

  it("ends a readiness wait ready when the welcome was written before its timeout", async () => {
    coordinator = await coordinatorInWorker();
    const co = coordinator;
    let readyAfterWait: Promise<boolean> | undefined;
    const hold = () => {
      const since = Date.now();
      const wait = (conn as FactoryConnection).whenReady(REQUEST_BOUND_MS);
      const held = holdUntil(() => co.count(COUNT.welcomes) === 1 && Date.now() - since >= 2 * REQUEST_BOUND_MS);
      readyAfterWait = wait.then(() => held && (conn as FactoryConnection).ready);
    };
    ({ c: conn } = connect(co.url, holdingHello(hold)));
    conn.start();
    await conn.whenReady();
    expect(await readyAfterWait).toBe(true);
  });
});

describe("the agent's socket bounds, against a coordinator that says nothing", () => {
  it("fails a request no ack answers as timeout", async () => {
    coordinator = await coordinatorInWorker({ answer: false });
    ({ c: conn } = connect(coordinator.url));
    conn.start();
    await conn.whenReady();
    const err = await conn.request({ type: "heartbeat" }, REQUEST_BOUND_MS).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FrameError);
    expect((err as FrameError).code).toBe("timeout");
    expect(coordinator.count(COUNT.requests)).toBe(1);
  });

  it("ends an upgrade no answer follows, saying so", async () => {
    coordinator = await coordinatorInWorker({ upgrade: "never" });
    const made = connect(coordinator.url);
    conn = made.c;
    conn.start();
    expect(await made.dropped).toBe(
      `connection error: Opening handshake has timed out (no answer within ${HANDSHAKE_BOUND_MS} ms)`,
    );
    expect(conn.ready).toBe(false);
  });

  it("drops a socket no welcome follows, and a readiness wait ends unready at its timeout", async () => {
    coordinator = await coordinatorInWorker({ welcome: false });
    const co = coordinator;
    const made = connect(co.url);
    conn = made.c;
    conn.start();
    await conn.whenReady(REQUEST_BOUND_MS);
    expect(conn.ready).toBe(false);
    // The welcome bound (twice the handshake's) ends the socket; the agent says so and will connect again.
    await made.dropped;
    expect(co.count(COUNT.hellos)).toBeGreaterThanOrEqual(1);
    expect(conn.ready).toBe(false);
  });
});
