// prom-client's core classes by their own files (lib/registry, lib/gauge, lib/counter, lib/histogram), typed as the
// package's index declares them. Importing them directly keeps the package's Node-only parts (default process
// metrics: node:process, fs, perf_hooks; cluster; pushgateway: http) out of the Worker: workerd's test runtime has
// no node:process module, and the Worker never needs them.
declare module "prom-client/lib/registry.js" {
  const Registry: typeof import("prom-client").Registry;
  export default Registry;
}
declare module "prom-client/lib/gauge.js" {
  const Gauge: typeof import("prom-client").Gauge;
  export default Gauge;
}
declare module "prom-client/lib/counter.js" {
  const Counter: typeof import("prom-client").Counter;
  export default Counter;
}
declare module "prom-client/lib/histogram.js" {
  const Histogram: typeof import("prom-client").Histogram;
  export default Histogram;
}
