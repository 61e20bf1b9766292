/**
 * @module cli/watch-names
 * How `watch` names the factories its lines speak of (cli/factory-names) without holding a line on the lookup: an
 * event naming a factory not yet named starts one fleet read; the line waits for it NAME_WAIT_MS at most from when it
 * started, then prints with the id. The read goes on (bounded by the client's --timeout, dropped when the watch ends)
 * and later lines use the names once it answers. It waited for the read at every such line: during an outage (a
 * coordinator that takes connections and never answers) a lease line the user should see now waited the whole
 * --timeout, and for ever under `--timeout 0`.
 */
import { afterPoll } from "../shared/after-poll.ts";
import type { FactoryNamer } from "./event-text.ts";
import { type FleetClient, type FleetRead, factoryNamer, NAME_WAIT_MS, readFleetNames } from "./factory-names.ts";

/** One fleet read in flight, and the promise that settles when a line has waited for it long enough. */
interface InFlight {
  read: FleetRead;
  waited: Promise<void>;
  timer: ReturnType<typeof setTimeout>;
}

export class WatchNames {
  /** The label of a factory id: its name once a read said it, else the id. */
  named: FactoryNamer = (id) => id;
  private names = new Map<string, string>();
  /** Ids a read was started for: never asked again (a factory the fleet does not list stays its id). */
  private readonly asked = new Set<string>();
  private inFlight: InFlight | undefined;
  private readonly client: FleetClient;
  /** `wait()`: settles when a line has waited long enough for a read started now; NAME_WAIT_MS by default. */
  private readonly wait: () => { waited: Promise<void>; timer: ReturnType<typeof setTimeout> };

  constructor(client: FleetClient, waitMs = NAME_WAIT_MS) {
    this.client = client;
    this.wait = () => {
      let timer!: ReturnType<typeof setTimeout>;
      const waited = new Promise<void>((resolve) => {
        // After a poll (shared/after-poll): with the loop held past the wait, a fleet list already in the socket is
        // read first, and `learn`'s race then names the line instead of printing the id.
        timer = setTimeout(afterPoll(resolve), waitMs);
      });
      return { waited, timer };
    };
  }

  /**
   * Before the lines naming `ids` print: a read started for the ids never asked (none while one is in flight: it
   * may name them), then a wait for the read in flight, if any id is unnamed, until it answers or NAME_WAIT_MS from
   * its start has passed. Never rejects.
   */
  async learn(ids: readonly string[]): Promise<void> {
    const unknown = ids.filter((id) => !this.names.has(id));
    if (unknown.length === 0) return;
    const fresh = unknown.filter((id) => !this.asked.has(id));
    if (fresh.length > 0 && this.inFlight === undefined) this.start(fresh);
    const flight = this.inFlight;
    if (flight) await Promise.race([flight.read.answer, flight.waited]);
  }

  /** Drop the read in flight (the watch ended: nothing is left waiting on its connection). */
  stop(): void {
    if (!this.inFlight) return;
    clearTimeout(this.inFlight.timer);
    this.inFlight.read.abort();
    this.inFlight = undefined;
  }

  private start(ids: readonly string[]): void {
    for (const id of ids) this.asked.add(id);
    const read = readFleetNames(this.client);
    const flight: InFlight = { read, ...this.wait() };
    this.inFlight = flight;
    void read.answer.then((names) => {
      clearTimeout(flight.timer);
      if (this.inFlight !== flight) return; // stopped meanwhile
      this.inFlight = undefined;
      // A refused or failed read names nothing: what an earlier read named stays named.
      if (names.size > 0) {
        this.names = names;
        this.named = factoryNamer(names);
      }
    });
  }
}
