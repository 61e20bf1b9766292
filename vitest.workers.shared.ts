/**
 * The integration files that share a workerd (the `integration-shared` project of vitest.workers.config.ts): the
 * pool's `isolate: false` keeps one runtime per worker and runs these files in it one after another, so the Worker's
 * ~450 modules are loaded once per worker, not once per file (~2.4 s of set-up each, spent in vitest's own process,
 * which is the layer's bottleneck). The cost: files on this list share storage (D1, R2, every Durable Object, the
 * queues) and module state with the files before them. So a file is on it only if, read through, it
 * - uses product names, and every other global name (queue message and dead-letter ids, lesson ids, R2 keys, D1
 *   rows), that no other file uses;
 * - reads and changes no global D1 table or global state without a product filter: no count of all dead letters or
 *   products, no cron `scheduled` handler or `sweepAll` (they wake every product), no D1 table renamed for a while,
 *   no assertion on what a webhook receiver (`webhook-receiver.ts`, a spy on the global fetch) or a queue batch
 *   could hold of another file's deliveries;
 * - depends on no fresh module state (a module-level cache, a prototype patched and not restored).
 * Why the list cannot simply grow (pass 35): the pool wraps each Durable Object class and the Worker's default
 * entrypoint in a class whose constructor sets `Class.prototype = new Proxy(Class.prototype, …)` each time it runs
 * (@cloudflare/vitest-pool-workers 0.23.0, dist/worker/lib/cloudflare/test-internal.mjs `createProxyPrototypeClass`).
 * So every coordinator, job feed and self-binding call (`exports.default`: `api`, a test's socket) constructed in
 * one workerd adds one more proxy, which every later lookup of that class's methods walks, with V8's invariant check
 * (a descriptor read through the whole chain) at each level: a call costs more the more objects the files before it
 * in that workerd made (cloudflare/workers-sdk#15446). Measured (seed 41, this project alone): the 87 files 49 s
 * (41 workerd CPU-s); 6 of U's 16 more 36 s (42), the other 10 50 s (55), all 16 213 s (368) on a quiet box, and
 * 365 s on a loaded one (frame-batch 1.6 → 89 s, two files past their 30 s): the cost grows faster than the count.
 * perf on a workerd of that run (95-99 % CPU): 95 % of it under v8 JSProxy::GetOwnPropertyDescriptor, call chains
 * past perf's 127 frames (> 60 proxies deep). A file added must not add many products, jobs or self-binding calls.
 * Splitting the list into two `isolate: false` projects to bound the chain does not work as it stands: vitest then
 * alternates their files over the two workers and starts a fresh workerd every ~2 files (the 103 files, seed 41:
 * 48 workerds, 129 s, vitest's process 84 CPU-s against 12 for one project), which is most of what sharing saves.
 * Left out for that: retention and metrics (the cron's sweep), queues and queue-history (rename D1 tables),
 * secrets-at-rest (reads all of D1), queue-webhooks and tracker (webhook receiver), feed-bounds (259 self-binding
 * calls, each one more proxy: see above). A file added here must pass `npx vitest run --config
 * vitest.workers.config.ts --project integration-shared --sequence.shuffle.files --sequence.seed=N` for a few seeds,
 * and with `--maxWorkers=1` (every file meets every other).
 */
const FILES = [
  "alarm",
  "alerts-list-index",
  "alerts-tidy",
  "artifact-durability",
  "artifact-reservations",
  "audit-order",
  "auth",
  "batch-refs-answers",
  "batch-refs-bound",
  "breaker-alerts",
  "browser-policy",
  "budget",
  "budget-alert-texts",
  "budget-charge-property",
  "budget-stop-lesson",
  "bulk-cycle-bound",
  "bulk-twin-keys",
  "children-keys",
  "control-characters",
  "coordinator-caches",
  "cycle-error-bound",
  "cycle-search-history",
  "dead-letter-pages",
  "dispatch-passes",
  "echo-whole-characters",
  "enroll-audit-grant",
  "enrollment-code-cap",
  "enrollment-code-exchange",
  "enrollment-code-minter-revoked",
  "exclusion-reset",
  "experiment-job-once",
  "experiment-lifecycle",
  "factory-sockets",
  "feed",
  "feed-delivery",
  "feed-purge",
  "feed-sse-budget",
  "feed-sse-drain",
  "feed-sse-framing",
  "feed-sse-gone-reader",
  "frame-batch",
  "handback",
  "health-deadline",
  "health-settings-change",
  "history",
  "history-cursor",
  "history-follow",
  "history-groups",
  "history-query",
  "hostile-input",
  "job-budget-rounding",
  "lease-guarantees",
  "legacy-review-round",
  "lesson-isolation",
  "lesson-mirror",
  "lesson-order",
  "lesson-reject-no-note",
  "method-not-allowed",
  "nesting-depth",
  "no-op-actions",
  "openapi-body-required",
  "openapi-roles",
  "openapi-statuses",
  "openapi-validators",
  "outage-links",
  "outbox-queue-health",
  "product-create-audit",
  "push",
  "quarantine",
  "queue-buckets",
  "recommendation-applied",
  "refused-stage-spend",
  "requeue-refusal-order",
  "resumed-spend",
  "review-comment-bytes",
  "revocation",
  "revoke-twice",
  "route-refusals",
  "routing-gone-factory",
  "routing-rule-changes",
  "run-bounds",
  "run-spend-view",
  "serial-stop-holds",
  "stale-writers",
  "stuck-page",
  "track-record-filters",
  "waiting-reason",
];

export const SHARED_FILES = FILES.map((name) => `test/integration/${name}.test.ts`);
