// fleet-terms.js — the factories as a waiting job's reason reads them, as one string the shared poller (live.js)
// compares between reads: a change in it has the job page read its reason again, though no queue version moved.

/**
 * The factories as a waiting job's reason reads them, as one string (equal: unchanged): who is there, connected and
 * healthy, with which seats, capabilities and breakers — not load or heartbeat times, which move at every read. Its
 * link (`connected`; absent from an older coordinator) too: a factory back within its heartbeat grace changes no
 * health, and a page saying "no factory connected" waited for an event to read its reason again.
 * @param {any[]} factories GET …/factories `factories`
 */
export const fleetTerms = (factories) =>
  factories
    .map((f) =>
      [
        f.id,
        f.status,
        f.health,
        f.connected === false ? "unlinked" : "linked",
        f.seats,
        f.capabilities.join(","),
        (f.breakers ?? []).map((b) => `${b.engine}:${b.state}`),
      ].join(" "),
    )
    .sort()
    .join("\n");
