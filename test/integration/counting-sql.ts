// A coordinator's `SqlStorage` with its statements counted: the cost tests (a bound on the reads a request makes,
// however much history the product holds) assert on this count, never on time.

/** `sql` whose `exec` calls are counted in `count.reads`. */
export function countingSql(sql: SqlStorage, count: { reads: number }): SqlStorage {
  return new Proxy(sql, {
    get(target, key) {
      if (key === "exec") {
        return (...args: Parameters<SqlStorage["exec"]>) => {
          count.reads++;
          return target.exec(...args);
        };
      }
      const v = Reflect.get(target, key) as unknown;
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
}
