/**
 * @module dashboard/factory-label
 * A factory as the dashboard names it, by id: its name; `name (id)` when another listed factory has the same name (a
 * host revoked and enrolled again under its name is two factories), as the CLI's metrics table names one
 * (cli/commands/metrics `factoryLabel`); its id when the list does not hold it. And an alert's subject in those words:
 * the alerts list read "factory:fac_0mxc…" beside a fleet of names (a reviewer, pass 43).
 */

/**
 * @param {string | undefined} id a factory id @param {ReadonlyArray<{ id: string, name: string }>} factories the
 * fleet as last read (GET …/factories)
 * @returns {string} "" for no id
 */
export function factoryLabel(id, factories) {
  if (!id) return "";
  const f = factories.find((o) => o.id === id);
  if (!f) return id;
  return factories.some((o) => o.name === f.name && o.id !== id) ? `${f.name} (${id})` : f.name;
}

/**
 * An alert's subject (core/alerts: `product`, `factory:<id>`, `job:<id>`, `breaker:<factoryId>:<engine>`) with its
 * factory named: "factory box-1", "breaker of box-1, engine claude" (`*`: "any engine"). Any other subject as it is.
 * @param {string} subject @param {ReadonlyArray<{ id: string, name: string }>} factories
 * @returns {string}
 */
export function alertSubjectText(subject, factories) {
  const [kind, ...rest] = subject.split(":");
  if (kind === "factory" && rest.join(":")) return `factory ${factoryLabel(rest.join(":"), factories)}`;
  if (kind === "breaker" && rest.length > 1) {
    const engine = /** @type {string} */ (rest.at(-1));
    const of = factoryLabel(rest.slice(0, -1).join(":"), factories);
    return `breaker of ${of}, ${engine === "*" ? "any engine" : `engine ${engine}`}`;
  }
  return subject;
}
