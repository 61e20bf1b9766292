// Shared by the tests of a JobFeed's sweep of doomed artifact bytes: its R2 bucket made to refuse every delete (its
// other calls pass) until restored, and how far ahead its alarm is set.
import { env, runInDurableObject } from "cloudflare:test";
import type { JobFeed } from "../../src/durable-objects/job-feed.ts";

/** The feed's R2 bucket refuses every delete (its other calls pass) until the returned function is called. */
export async function refuseDeletes(feed: DurableObjectStub<JobFeed>): Promise<() => Promise<void>> {
  type WithEnv = { env: Env };
  await runInDurableObject(feed, (instance: JobFeed) => {
    const real = (instance as unknown as WithEnv).env;
    const bucket = new Proxy(real.ARTIFACTS, {
      get(target, key) {
        if (key === "delete") return () => Promise.reject(new Error("R2 refused the delete"));
        const v = Reflect.get(target, key, target) as unknown;
        return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
    const refusing = new Proxy(real, { get: (t, k) => (k === "ARTIFACTS" ? bucket : Reflect.get(t, k, t)) });
    Object.defineProperty(instance, "env", { value: refusing, configurable: true, writable: true });
  });
  return () =>
    runInDurableObject(feed, (instance: JobFeed) => {
      Object.defineProperty(instance, "env", { value: env, configurable: true, writable: true });
    });
}

/** How far ahead of now the feed's alarm is set, ms (null: none). */
export const alarmIn = (feed: DurableObjectStub<JobFeed>) =>
  runInDurableObject(feed, async (_: JobFeed, state: DurableObjectState) => {
    const at = await state.storage.getAlarm();
    return at === null ? null : at - Date.now();
  });
