// A Durable Object's SQL handle that keeps every cursor it hands out, so a test can add up the rows its statements
// read (SqlStorageCursor.rowsRead, counted by workerd as a statement steps): how "a read does not grow with the
// backlog" is proven without timing anything. Three test files each wrote this proxy out.

/**
 * `sql` whose `exec` cursors are kept; every other member is `sql`'s own, bound to it.
 * @returns the counting handle, and `rowsRead()`: rows read so far by the statements run through it
 */
export function countingSql(sql: SqlStorage): { sql: SqlStorage; rowsRead: () => number } {
  const cursors: SqlStorageCursor<Record<string, SqlStorageValue>>[] = [];
  const proxy = new Proxy(sql, {
    get(target, prop) {
      if (prop === "exec")
        return (query: string, ...bindings: unknown[]) => {
          const cursor = target.exec(query, ...bindings);
          cursors.push(cursor);
          return cursor;
        };
      const value = Reflect.get(target, prop, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { sql: proxy, rowsRead: () => cursors.reduce((n, c) => n + c.rowsRead, 0) };
}
