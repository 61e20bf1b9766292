// The lessons page's archived list, in Debian Chromium against the real local server: "Show: archived" lists the
// archived lessons apart (GET …/lessons?archived=only), each with Restore where the list in use has Archive; Restore
// sends `archived: false`, says "Restored les_…", takes the row off the archived list, and the list in use shows the
// lesson again. Before, an archive was final on the page (the CLI had no restore either: a newcomer, pass 41).
import { expect, it } from "vitest";
import { dashboardSuite, signedInPage } from "./dashboard-session.ts";
import { ADMIN, adminApi } from "./harness.ts";

const PRODUCT = "lesson-restore";
/** A server answer on a busy two-core machine; never a delay. */
const SOON = { timeout: 15_000 };

const suite = dashboardSuite(PRODUCT);
const api = adminApi(() => suite.h.url, PRODUCT);

it("lists archived lessons apart and restores one to the list in use", async () => {
  const kept = await api<{ id: string }>("POST", "/lessons", { text: "Keep the lockfile" });
  const gone = await api<{ id: string }>("POST", "/lessons", { text: "Run the linter first" });
  await api("PATCH", `/lessons/${gone.id}`, { archived: true });
  // GET …/lessons reads D1, which the outbox fills a moment after the coordinator: wait for the state.
  const archivedIds = async () =>
    (await api<{ items: Array<{ id: string }> }>("GET", "/lessons?archived=only")).items.map((l) => l.id);
  await expect.poll(archivedIds, SOON).toEqual([gone.id]);
  const { page, errors, close } = await signedInPage(suite, ADMIN, PRODUCT);
  await page.goto(`${suite.h.url}/#/lessons`);
  const row = (id: string) => page.locator(`#lessons-list tr[data-lesson-id="${id}"]`);
  await row(kept.id).waitFor(SOON);
  expect(await row(gone.id).count()).toBe(0);
  expect(await page.getByRole("button", { name: `Archive lesson ${kept.id}` }).count()).toBe(1);

  await page.locator("#lessons-shown").selectOption("only");
  await row(gone.id).waitFor(SOON);
  expect(await row(kept.id).count()).toBe(0);
  const patches: unknown[] = [];
  page.on("request", (r) => void (r.method() === "PATCH" && patches.push(r.postDataJSON())));
  await page.getByRole("button", { name: `Restore lesson ${gone.id}` }).click();
  await expect.poll(() => page.locator("#lessons-status").textContent(), SOON).toBe(`Restored ${gone.id}.`);
  expect(patches).toEqual([{ archived: false }]);
  expect(await row(gone.id).count()).toBe(0);
  await expect.poll(archivedIds, SOON).toEqual([]);

  await page.locator("#lessons-shown").selectOption("");
  await row(gone.id).waitFor(SOON);
  await row(kept.id).waitFor(SOON);
  expect(errors).toEqual([]);
  await close();
});
