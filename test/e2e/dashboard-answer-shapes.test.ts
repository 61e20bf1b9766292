// Every dashboard page meeting a 2xx answer of the wrong shape, in Debian Chromium against the real local server (the
// wrong answer served by page.route in place of one read, the others real): the page says, where it says any failed
// read, which answer lacked which field — "The coordinator's answer to GET …/jobs had no `jobs` list (is the
// dashboard newer than the coordinator?)" — and throws nothing. Before, the same answers showed a raw TypeError
// ("Cannot read properties of undefined"), an empty or half-drawn panel, or figures made up from the gaps. One case
// per kind of answer: the board and its serial panel, the shared poller's counts, the job page (the job, runs,
// explain, artifacts, reviews), budget, settings, lessons, routing (rules, experiments), alerts, the metrics tiles,
// enrollment codes; and a write whose answer cannot be read says its outcome is unknown, not that it was refused.
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium, newPage, signIn } from "./chromium.ts";
import { ADMIN, adminApi, type Harness, startHarness } from "./harness.ts";

const PRODUCT = "answer-shapes";
/** A page's first read, or the poller's next tick, on a loaded machine. */
const SOON = { timeout: 30_000 };

describe("dashboard: a 2xx answer of the wrong shape", () => {
  let h: Harness;
  let browser: Browser;
  let jobId = "";
  const api = adminApi(() => h.url, PRODUCT);

  beforeAll(async () => {
    h = await startHarness();
    // A review gate: the job page draws its review card, whose read the case below answers wrongly.
    jobId = (await api<{ id: string }>("POST", "/jobs", { manifest: { title: "shape", reviewers: 1 } })).id;
    // A budget set, so the budget page reads GET …/budget (it asks the metrics document first whether one is).
    await api("PUT", "/budget", { period: "day", ceilingUsd: 1000, onExhausted: "pause" });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await h?.close();
  });

  /**
   * A signed-in page whose `method` requests to a path ending in `suffix` get `body` (JSON) as a 200; every other
   * request reaches the server.
   */
  async function served(suffix: string, body: unknown, method = "GET") {
    const opened = await newPage(browser);
    await signIn(opened.page, h.url, ADMIN, PRODUCT);
    await opened.page.route(
      (u) => u.pathname.endsWith(suffix),
      (route) =>
        route.request().method() === method
          ? route.fulfill({ status: 200, contentType: "application/json", body: JSON.stringify(body) })
          : route.fallback(),
    );
    return opened;
  }

  /** The text of `selector` (its first match), or "" while there is none. */
  const text = (page: Page, selector: string) =>
    page
      .locator(selector)
      .first()
      .textContent({ timeout: 1000 })
      .catch(() => "");

  const CASES: Array<[string, string, unknown, string, string, string]> = [
    // [name, path suffix, wrong answer, hash, where the page says it, what it says]
    [
      "the board",
      "/jobs",
      { total: 3 },
      "#/jobs",
      "section[aria-labelledby=jobs-title] > p.status",
      "GET …/jobs had no `jobs` list",
    ],
    [
      "the serial panel",
      "/serial",
      { keys: "none" },
      "#/jobs",
      "p.serial-status",
      "GET …/serial had `keys` as text, not a list",
    ],
    ["the poller's counts", "/stats", { total: 3 }, "#/jobs", "#summary .error", "GET …/stats had no `counts` object"],
    ["the metrics tiles", "/metrics", { queue: {} }, "#/jobs", ".tiles-stale", "had no `queue.depthByStage` object"],
    ["a job", `/jobs/${"{id}"}`, null, "#/jobs/{id}", ".job-head p.status", "was null, not an object"],
    [
      "its runs",
      "/runs",
      { runs: [{ attempt: 1 }] },
      "#/jobs/{id}",
      "section[aria-labelledby=runs-title] p.status",
      "had no `runs[0].factoryId` text",
    ],
    [
      "its explain",
      "/explain",
      { ranked: [] },
      "#/jobs/{id}",
      "section[aria-labelledby=explain-title] p.status",
      "GET …/jobs/{id}/explain had no `at` number",
    ],
    [
      "its artifacts",
      "/artifacts",
      { artifacts: {} },
      "#/jobs/{id}",
      "section[aria-labelledby=artifacts-title] p.status",
      "had `artifacts` as an object, not a list",
    ],
    ["its reviews", "/reviews", { reviews: [] }, "#/jobs/{id}", "p.review-status", "had no `approvals` number"],
    ["the budget", "/budget", { spentUsd: "3" }, "#/budget", "#budget-status", "had `spentUsd` as text, not a number"],
    [
      "the settings",
      "/settings",
      { preemption: true },
      "#/settings",
      "#settings-status",
      "had no `leaseTtlSeconds` number",
    ],
    ["the lessons", "/lessons", { lessons: [] }, "#/lessons", ".lessons-journal p.status", "had no `items` list"],
    [
      "the routing rules",
      "/routing/rules",
      [],
      "#/routing",
      "#routing-status",
      "GET …/routing/rules was a list, not an object",
    ],
    [
      "the experiments",
      "/routing/experiments",
      { experiments: [{ id: "x" }] },
      "#/routing",
      "#routing-experiments",
      "",
    ],
    [
      "the alerts",
      "/alerts",
      { alerts: [{ id: "al_1" }] },
      "#/alerts",
      "#alerts-status",
      "had no `alerts[0].kind` text",
    ],
    [
      "the enrollment codes",
      "/factories/enrollment-codes",
      { codes: null },
      "#/enrollment",
      "#codes-status",
      "had `codes` as null, not a list",
    ],
  ];

  it.each(
    CASES,
  )("%s: says which field the answer lacked, and throws nothing", async (_name, suffix, body, hash, where, says) => {
    const { page, errors, close } = await served(suffix.replace("{id}", jobId), body);
    await page.goto(`${h.url}/${hash.replace("{id}", jobId)}`);
    // The poller reads /stats, and the tiles /metrics, when the queue version moves: the sign-in's first tick may
    // have read them before the wrong answer was in place, and nothing moved after (the counts case went red in half
    // of its whole-file runs, the tiles passed at 32 s of a 30 s wait). A job submitted now moves it: a state.
    if (suffix === "/stats" || suffix === "/metrics")
      await api("POST", "/jobs", { manifest: { title: `moves the queue version for ${suffix}` } });
    if (where === "#routing-experiments") {
      // The experiments' own status line sits above their list.
      await expect
        .poll(() => text(page, "#routing-experiments >> xpath=preceding-sibling::p[1]"), SOON)
        .toContain("GET …/routing/experiments had no `experiments[0].jobClass` text");
    } else {
      await expect.poll(() => text(page, where), SOON).toContain(says.replace("{id}", jobId));
      await expect.poll(() => text(page, where), SOON).toContain("The coordinator's answer to GET …/");
    }
    expect(errors).toEqual([]);
    await close();
  });

  it("a lesson added whose answer cannot be read: said sent with its outcome unknown, not refused", async () => {
    const { page, errors, close } = await served("/lessons", { ok: true }, "POST");
    await page.goto(`${h.url}/#/lessons`);
    await page.locator("#lesson-text").fill("Run the linter before pushing.");
    await page.locator("#lesson-add").click();
    await expect
      .poll(() => text(page, ".lessons-journal p.status"), SOON)
      .toBe(
        "Sent, outcome unknown: The coordinator's answer to POST …/lessons had no `id` text (is the dashboard newer than the coordinator?)",
      );
    expect(errors).toEqual([]);
    await close();
  });
});
