// The job page under load, in Debian Chromium against the real local server: an action's buttons stay greyed out while
// its request is out (a feed event's re-render re-armed them) and keyboard focus lands on the outcome after; a
// composite over a 40-job chain of children is listed as an outline (dagre took seconds, and a 999-job chain never
// finished) with how many jobs it shows, and a 375 px phone does not scroll sideways on that page; an approval's
// outcome takes focus when the job leaves review, and its POST names the review round the card shows (so does the
// action bar's approve, with the job's queuedAt: the round it shows), and a verdict's answer ends a failed read's line
// said beside the comment's refusal (it stayed until the next review event); a job with
// more log lines than the page keeps says above its timeline how many older ones are not shown (they used to vanish
// silently), in a line that is no row. A running run's row shows what its budget was charged so far. A timeline whose
// seqs do not start at 1 (retention purged the first events) marks the gap in a row where they jump, by cli/job-feed's
// rule, instead of silently starting in the middle. A feed resumed after a drop reads no panel again (its replay
// reads what the missed events changed), and one resumed with a gap reads every panel; so does one that skips an
// event it cannot read. An event that comes while the job's first read is out reads what it changed once that read
// is in (it was dropped, and a panel whose own first read had answered before it stayed stale), kept through a failed
// first read until a read of the job works. A panel whose read
// failed while the feed was down is read when it resumes, not at the poller's backed-off tick. A job left while its
// first read was out reads nothing once that read answers (what its feed owed was read behind the next job's page).
import type { Page, Route, WebSocketRoute } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WsFactory } from "../support/ws-factory.ts";
import { dashboardSuite, pressHeld, signedInPage } from "./dashboard-session.ts";
import { ADMIN, adminApi } from "./harness.ts";

const PRODUCT = "job-page";
/** A server answer on a busy two-core machine. */
const SOON = { timeout: 15_000 };
const CHAIN = 40;

describe("dashboard job page in a real browser", () => {
  const suite = dashboardSuite(PRODUCT);
  let factory: WsFactory;
  let operator = "";
  let building = "";
  let chained = "";
  let reviewed = "";
  let lease = { jobId: "", leaseEpoch: 0 };

  const api = adminApi(() => suite.h.url, PRODUCT);

  beforeAll(async () => {
    operator = (await api<{ token: string }>("POST", "/tokens", { role: "operator", name: "operator" })).token;
    await api("PATCH", "/settings", { leaseTtlSeconds: 3600 });
    factory = await WsFactory.enroll(suite.h.url, PRODUCT, ADMIN, "builder-1", {
      seats: 2,
      capabilities: ["os:linux"],
      autoComplete: false,
      leaseTtlSeconds: 3600,
    });
    building = (await api<{ id: string }>("POST", "/jobs", { manifest: { title: "Being built" } })).id;
    lease = { jobId: building, leaseEpoch: (await factory.assignmentOf(building)).leaseEpoch };
    for (const frame of [
      { type: "accept", ...lease },
      { type: "progress", ...lease, stage: "building", pct: 5 },
    ])
      expect((await factory.request(frame)).type).toBe("ack");
    // Built and in review, one approval needed.
    reviewed = (await api<{ id: string }>("POST", "/jobs", { manifest: { title: "To review", reviewers: 1 } })).id;
    const r = { jobId: reviewed, leaseEpoch: (await factory.assignmentOf(reviewed)).leaseEpoch };
    for (const frame of [
      { type: "accept", ...r },
      { type: "complete", ...r, result: { outcome: "success", rc: 0 } },
    ])
      expect((await factory.request(frame)).type).toBe("ack");
    // A chain: child i depends on child i - 1 (GPU-only, so none of them runs meanwhile).
    chained = (await api<{ id: string }>("POST", "/jobs", { manifest: { title: "Long chain", kind: "composite" } })).id;
    const children = Array.from({ length: CHAIN }, (_, i) => ({
      title: `Step ${i}`,
      requires: ["gpu"],
      deps: i ? [`#${i - 1}`] : [],
    }));
    await api("POST", `/jobs/${chained}/children`, { children });
  });

  afterAll(() => factory?.close());

  /** Hold every GET of the path (ending) until release(): the page's reads of it stay unanswered meanwhile. */
  async function holdReads(page: Page, pathEnd: string) {
    const held: Route[] = [];
    let open = false;
    await page.route(
      (u) => u.pathname.endsWith(pathEnd),
      (route) => {
        if (open || route.request().method() !== "GET") return route.continue();
        held.push(route);
      },
    );
    return {
      held: () => held.length,
      release: async () => {
        open = true;
        for (const r of held.splice(0)) await r.continue();
      },
    };
  }

  /** Sends a `lease.granted` after the last event the timeline shows, through the page's side of `socket`; drawn. */
  async function sendLease(page: Page, socket: WebSocketRoute) {
    const rows = page.locator(".timeline li");
    const seqs = await rows.evaluateAll((els) => els.map((e) => Number(e.dataset.seq)));
    const lease = { seq: Math.max(...seqs) + 1, type: "lease.granted", at: Date.now(), data: {} };
    socket.send(JSON.stringify({ type: "event", event: lease }));
    await expect.poll(() => rows.count(), SOON).toBe(seqs.length + 1);
  }

  /** Polls `count` (the reads asked since its last call) until they add up to `n`. */
  async function readsAddUp(count: () => Promise<number>, n: number) {
    let reads = 0;
    await expect
      .poll(async () => {
        reads += await count();
        return reads;
      }, SOON)
      .toBe(n);
  }

  /** A signed-in page; `route` runs first (a WebSocket route holds only for documents loaded after it). */
  const open = (width = 1280, route?: (page: Page) => Promise<void>) =>
    signedInPage(suite, operator, PRODUCT, { width, route });

  /**
   * A signed-in page whose GETs are recorded in `window.asked` (what a case counts its reads by) and whose job-feed
   * sockets are relayed to the server, each kept in `sockets`; a server frame goes on only while `pass(frame)` holds.
   * `route` runs first.
   */
  async function openRecording(
    opts: { pass?: (frame: string) => boolean; route?: (p: Page) => Promise<unknown> } = {},
  ) {
    const sockets: Array<{ page: WebSocketRoute; server: WebSocketRoute }> = [];
    const opened = await open(1280, async (p) => {
      await p.addInitScript(`{
        const real = window.fetch.bind(window);
        window.asked = [];
        window.fetch = (input, init) => {
          if ((init?.method ?? "GET") === "GET") window.asked.push(new URL(String(input), location.href).pathname);
          return real(input, init);
        };
      }`);
      await opts.route?.(p);
      await p.routeWebSocket(/\/events\/ws/, (ws) => {
        const server = ws.connectToServer();
        sockets.push({ page: ws, server });
        ws.onMessage((m) => server.send(m));
        server.onMessage((m) => {
          if (opts.pass?.(String(m)) ?? true) ws.send(m);
        });
      });
    });
    return { ...opened, sockets };
  }

  it("keeps every action greyed out while one is out, through a re-render, and then focuses its outcome", async () => {
    const { page, errors, close } = await open();
    await page.goto(`${suite.h.url}/#/jobs/${building}`);
    // The cancel request, held until the page has re-rendered the job.
    const cancel = page.locator('button[data-action="cancel"]');
    const held = await pressHeld(page, cancel, { method: "POST", suffix: `/jobs/${building}/actions/cancel` });
    // The factory reports progress: the feed's event makes the page read and render the job again.
    expect((await factory.request({ type: "progress", ...lease, stage: "building", pct: 50 })).type).toBe("ack");
    await expect.poll(() => page.locator('[data-fact="progress"] dd').textContent(), SOON).toContain("50 %");
    const armed = await page.locator('section.actions button:not([disabled]):not([aria-disabled="true"])').count();
    expect(armed).toBe(0);
    held.answer();
    const status = page.locator(".action-status");
    await expect.poll(() => status.textContent(), SOON).toBe("cancel: job is now cancelled");
    // Cancelled offers no cancel again: focus is on the outcome, not lost to the top of the page.
    expect(await page.evaluate("document.activeElement?.classList.contains('action-status')")).toBe(true);
    expect(errors).toEqual([]);
    await close();
  });

  it("sends the review round of the job it shows with the action bar's approve", async () => {
    const { page, errors, close } = await open();
    // The request is answered here (a refusal), so the job stays in review for the next test.
    let body: unknown;
    await page.route(
      (u) => u.pathname.endsWith(`/jobs/${reviewed}/actions/approve`),
      (route) => {
        body = route.request().postDataJSON();
        return route.fulfill({
          status: 409,
          json: { type: "about:blank", title: "x", detail: "held", code: "conflict" },
        });
      },
    );
    // The page's first read of the job is held: until it is answered, nothing may be offered (a busy machine showed
    // the bar armed before the job was read, and its approve then named no round).
    const jobReads = await holdReads(page, `/jobs/${reviewed}`);
    await page.goto(`${suite.h.url}/#/jobs/${reviewed}`);
    await expect.poll(() => jobReads.held(), SOON).toBeGreaterThan(0);
    expect(await page.locator('section.actions button:not([disabled]):not([aria-disabled="true"])').count()).toBe(0);
    await jobReads.release();
    const approve = page.locator('button[data-action="approve"]');
    await expect.poll(() => approve.isDisabled(), SOON).toBe(false);
    await approve.click();
    await expect.poll(() => body !== undefined, SOON).toBe(true);
    const job = await api<{ queuedAt: number }>("GET", `/jobs/${reviewed}`);
    expect(body).toEqual({ round: job.queuedAt });
    expect(errors).toEqual([]);
    await close();
  });

  it("focuses the review's outcome after an approval from the keyboard takes the job out of review", async () => {
    const { page, errors, close } = await open();
    // The card's read of the reviews (its round) is held: the card shows, but offers no verdict until it is answered.
    const reviewReads = await holdReads(page, `/jobs/${reviewed}/reviews`);
    await page.goto(`${suite.h.url}/#/jobs/${reviewed}`);
    const approve = page.locator('[data-review="approve"]');
    await expect.poll(() => page.locator(".job-stage .badge").textContent(), SOON).toBe("review");
    await expect.poll(() => reviewReads.held(), SOON).toBeGreaterThan(0);
    expect(await approve.isVisible()).toBe(true);
    expect(await page.locator('.review button:not([disabled]):not([aria-disabled="true"])').count()).toBe(0);
    await reviewReads.release();
    await expect.poll(async () => (await approve.isVisible()) && (await approve.isEnabled()), SOON).toBe(true);
    await approve.focus();
    const sent = page.waitForRequest((r) => r.url().endsWith("/reviews") && r.method() === "POST");
    await page.keyboard.press("Enter");
    // The verdict names the review round the card shows: a rebuild since would refuse it (409), not count it.
    expect((await sent).postDataJSON()).toMatchObject({ verdict: "approve", round: expect.any(Number) });
    await expect.poll(() => page.locator(".review-status").textContent(), SOON).toMatch(/^approved: job is now /);
    expect(await approve.isDisabled()).toBe(true);
    expect(await page.evaluate("document.activeElement?.classList.contains('review-status')")).toBe(true);
    expect(errors).toEqual([]);
    await close();
  });

  // A read's failure said beside the comment's refusal (a line of its own) stayed after a verdict was answered with the
  // reviews as they now are: "approved: job is now …" over "Cannot load …", until the next review event.
  it("drops a failed read's line once a verdict is answered with the reviews", async () => {
    const twice = (await api<{ id: string }>("POST", "/jobs", { manifest: { title: "Two to review", reviewers: 2 } }))
      .id;
    const r = { jobId: twice, leaseEpoch: (await factory.assignmentOf(twice)).leaseEpoch };
    for (const frame of [
      { type: "accept", ...r },
      { type: "complete", ...r, result: { outcome: "success", rc: 0 } },
    ])
      expect((await factory.request(frame)).type).toBe("ack");
    const { page, errors, close } = await open();
    await page.goto(`${suite.h.url}/#/jobs/${twice}`);
    const [approve, comment] = [page.locator('[data-review="approve"]'), page.locator("#review-comment")];
    const [status, aside] = [page.locator(".review-status"), page.locator(".review-status + p[role=status]")];
    await expect.poll(async () => (await approve.isVisible()) && (await approve.isEnabled()), SOON).toBe(true);
    await comment.fill("é".repeat(300)); // 600 bytes, past the comment's 500: refused on the page, nothing sent
    await approve.click();
    await expect.poll(() => status.textContent(), SOON).toMatch(/^approve not sent: the comment is/);
    // The reviews' reads fail once (the admin's approval's event makes the card read them), then are held unanswered:
    // what clears the failure's line can only be the verdict's answer.
    let reads = 0;
    const held: Route[] = [];
    const reviewsRead = (u: URL) => u.pathname.endsWith(`/jobs/${twice}/reviews`);
    await page.route(reviewsRead, (route) => {
      if (route.request().method() !== "GET") return route.fallback();
      if (reads++ === 0)
        return route.fulfill({ status: 500, contentType: "application/problem+json", body: '{"code":"internal"}' });
      held.push(route);
    });
    await api("POST", `/jobs/${twice}/reviews`, { verdict: "approve" });
    await expect.poll(() => aside.count(), SOON).toBe(1);
    await comment.fill("");
    await approve.click();
    await expect.poll(() => status.textContent(), SOON).toMatch(/^approved: job is now /);
    expect(await aside.count()).toBe(0);
    for (const route of held.splice(0)) await route.continue();
    await page.unroute(reviewsRead); // reads held meanwhile are let through by it
    expect(errors).toEqual([]);
    await close();
  });

  it("lists a long chain of children as an outline, says how many it shows, and fits a 375 px phone", async () => {
    const { page, errors, close } = await open(375);
    await page.goto(`${suite.h.url}/#/jobs/${chained}`);
    const outline = page.locator(".dag-wrap .dag-outline");
    await outline.waitFor(SOON);
    expect(await outline.locator("li").count()).toBe(CHAIN + 1);
    expect(await page.locator(".dag-wrap svg").count()).toBe(0);
    expect(await page.locator(".dag-note").textContent()).toBe(
      `${CHAIN + 1} jobs shown. Too many to draw as a graph: listed as a tree.`,
    );
    expect(await page.evaluate("document.documentElement.scrollWidth")).toBeLessThanOrEqual(375);
    expect(errors).toEqual([]);
    await close();
  });

  it("says above the timeline how many older log lines the page dropped, in a line that is no row and fits a phone", async () => {
    const chatty = (await api<{ id: string }>("POST", "/jobs", { manifest: { title: "Chatty" } })).id;
    const pushed = () => factory.assignments.find((x) => x.job.id === chatty);
    await expect.poll(() => pushed() !== undefined, SOON).toBe(true);
    const a = { jobId: chatty, leaseEpoch: pushed()!.leaseEpoch };
    expect((await factory.request({ type: "accept", ...a })).type).toBe("ack");
    // 26 frames of 200 lines (the most a frame may carry): 5,200 lines, 200 over the page's cap of 5,000.
    for (let f = 0; f < 26; f++) {
      const logs = Array.from({ length: 200 }, (_, i) => ({ stream: "stdout", text: `line ${f * 200 + i}`, at: 1 }));
      expect((await factory.request({ type: "progress", ...a, logs })).type).toBe("ack");
    }
    const { page, errors, close } = await open(375);
    await page.goto(`${suite.h.url}/#/jobs/${chatty}`);
    const notice = page.locator("#timeline-dropped");
    await expect.poll(() => notice.textContent(), SOON).toBe("200 older log lines not shown");
    expect(await page.locator(".log .line").count()).toBe(5000);
    expect(await page.locator(".log .line .x").first().textContent()).toBe("line 200");
    expect(await page.locator(".timeline #timeline-dropped").count()).toBe(0);
    expect(await notice.isVisible()).toBe(true);
    expect(await page.evaluate("document.documentElement.scrollWidth")).toBeLessThanOrEqual(375);
    expect(errors).toEqual([]);
    await close();
  });

  it("marks a gap in the timeline where the feed's seqs jump: the events retention purged", async () => {
    const id = (await api<{ id: string }>("POST", "/jobs", { manifest: { title: "Purged start", requires: ["gpu"] } }))
      .id;
    // The feed as it reads once retention purged the job's first event: the socket never delivers seq 1.
    const { page, errors, close } = await open(1280, (p) =>
      p.routeWebSocket(/\/events\/ws/, (ws) => {
        const server = ws.connectToServer();
        ws.onMessage((m) => server.send(m));
        server.onMessage((m) => {
          if (!/"type":"event"/.test(String(m)) || JSON.parse(String(m)).event.seq > 1) ws.send(m);
        });
      }),
    );
    await page.goto(`${suite.h.url}/#/jobs/${id}`);
    await expect.poll(() => page.locator(".feed-state").getAttribute("class"), SOON).toContain("feed-live");
    const first = page.locator(".timeline li").first();
    await expect.poll(() => first.getAttribute("class"), SOON).toBe("event gap");
    expect(await first.innerText()).toContain("event 1 is gone: retention purged it");
    expect(await page.locator(".timeline li.gap").count()).toBe(1);
    expect(errors).toEqual([]);
    await close();
  });

  // A feed that drops resumes after the last event it saw and replays what it missed, each event reading what it
  // changes: the page also read the job and its five panels again at each reconnect, six reads per page per drop for
  // nothing the replay does not bring (pass 38's leftover). A resumed feed with a gap (events purged meanwhile, never
  // replayed) reads every panel. The page's GETs are recorded as it asks them (its fetch wrapped before it loads).
  it("reads no panel again when its feed resumes after a drop, and every one when the resumed feed has a gap", async () => {
    const title = "Watched through drops";
    const id = (await api<{ id: string }>("POST", "/jobs", { manifest: { title, requires: ["gpu"] } })).id;
    let purging = false; // a socket passes no event: what it would bring was purged
    const { page, errors, close, sockets } = await openRecording({
      pass: (frame) => !(purging && /"type":"event"/.test(frame)),
    });
    const jobPath = `/jobs/${id}`;
    /** The panels' reads asked since the last call: "/runs", "/explain", "/artifacts" (the job's own and its tree
     * are read at a tick that sees the queue move, too). */
    const panelReads = async () =>
      ((await page.evaluate("asked.splice(0)")) as string[])
        .filter((p) => p.includes(`${jobPath}/`))
        .map((p) => p.slice(p.indexOf(jobPath) + jobPath.length))
        .filter((p) => ["/runs", "/explain", "/artifacts"].includes(p));
    // Each event's reads wait 250 ms to gather a burst (job-detail `soon`): a page timer due later runs after them.
    const gathered = () => page.evaluate(() => new Promise((r) => setTimeout(r, 500)));
    const state = page.locator(".feed-state");
    const resumed = async (n: number) => {
      await expect.poll(() => sockets.length, SOON).toBe(n);
      await expect.poll(() => state.getAttribute("class"), SOON).toContain("feed-live");
      await gathered();
    };
    const drop = async () => {
      const last = sockets.at(-1)!;
      await last.page.close();
      await last.server.close();
    };
    await page.goto(`${suite.h.url}/#/jobs/${id}`);
    await resumed(1);
    expect(new Set(await panelReads())).toEqual(new Set(["/runs", "/explain", "/artifacts"])); // the page's first
    await drop();
    await resumed(2);
    expect(await panelReads()).toEqual([]);
    // Cancelled while the page hears no event, then dropped: the resumed feed's `ready` names seqs it never sends.
    purging = true;
    await api("POST", `/jobs/${id}/actions/cancel`, {});
    await drop();
    await resumed(3);
    await expect.poll(() => page.locator(".timeline li.gap").count(), SOON).toBe(1);
    await gathered();
    expect(new Set(await panelReads())).toEqual(new Set(["/runs", "/explain", "/artifacts"]));
    expect(errors).toEqual([]);
    await close();
  });

  // A panel whose read failed while the coordinator was away is read when the feed is back, not at the poller's next
  // tick: after an outage's failed reads that tick backs off to 30 s, and the panels stood red that long.
  it("reads a panel whose read failed at once when its feed resumes, with the poller's tick held", async () => {
    const id = (
      await api<{ id: string }>("POST", "/jobs", { manifest: { title: "Failed meanwhile", requires: ["gpu"] } })
    ).id;
    let failing = true;
    const { page, errors, close, sockets } = await openRecording({
      route: (p) =>
        p.route(
          (u) => u.pathname.endsWith(`/jobs/${id}/runs`),
          (route) =>
            failing && route.request().method() === "GET"
              ? route.fulfill({
                  status: 500,
                  contentType: "application/problem+json",
                  body: JSON.stringify({
                    type: "about:blank",
                    title: "Internal error",
                    status: 500,
                    detail: "injected",
                    code: "internal",
                  }),
                })
              : route.continue(),
        ),
    });
    const runsReads = async () =>
      ((await page.evaluate("asked.splice(0)")) as string[]).filter((p) => p.endsWith(`/jobs/${id}/runs`)).length;
    const state = page.locator(".feed-state");
    await page.goto(`${suite.h.url}/#/jobs/${id}`);
    await expect.poll(() => state.getAttribute("class"), SOON).toContain("feed-live");
    await expect.poll(runsReads, SOON).toBeGreaterThan(0); // the first read, refused
    // The poller's tick held in its read: nothing but the feed's return can read the panel again.
    const tick = await holdReads(page, "/queue-state");
    await expect.poll(() => tick.held(), SOON).toBeGreaterThan(0);
    failing = false;
    await runsReads();
    const last = sockets.at(-1)!;
    await last.page.close();
    await last.server.close();
    await expect.poll(() => sockets.length, SOON).toBe(2);
    await expect.poll(() => state.getAttribute("class"), SOON).toContain("feed-live");
    await expect.poll(runsReads, SOON).toBe(1);
    expect(tick.held()).toBeGreaterThan(0); // still held: the read came from the feed's return
    await tick.release();
    expect(errors).toEqual([]);
    await close();
  });

  // An event the page cannot read (a coordinator newer than the dashboard) is skipped and said once; what it changed
  // was never read — no reconnect reads everything any more — so the page reads every panel, as after a gap.
  it("reads every panel again after its feed skips an event it cannot read", async () => {
    const id = (await api<{ id: string }>("POST", "/jobs", { manifest: { title: "Unreadable", requires: ["gpu"] } }))
      .id;
    const { page, errors, close, sockets } = await openRecording();
    const panelReads = async () =>
      ((await page.evaluate("asked.splice(0)")) as string[]).filter((p) =>
        ["/runs", "/explain", "/artifacts"].some((x) => p.endsWith(`/jobs/${id}${x}`)),
      );
    await page.goto(`${suite.h.url}/#/jobs/${id}`);
    await expect.poll(() => page.locator(".feed-state").getAttribute("class"), SOON).toContain("feed-live");
    await expect.poll(async () => new Set(await panelReads()).size, SOON).toBe(3); // the page's first reads
    const seqs = await page.locator(".timeline li").evaluateAll((els) => els.map((e) => Number(e.dataset.seq)));
    const next = Math.max(...seqs) + 1; // no gap before it: a gap reads every panel on its own
    sockets[0]!.page.send(JSON.stringify({ type: "event", event: { seq: next, type: 5, at: Date.now(), data: {} } }));
    await expect.poll(() => page.locator("#timeline-notice").textContent(), SOON).toMatch(/cannot read/);
    const reads = new Set<string>();
    await expect
      .poll(async () => {
        for (const r of await panelReads()) reads.add(r.slice(r.lastIndexOf("/")));
        return reads.size;
      }, SOON)
      .toBe(3);
    expect(await page.locator(".timeline li.gap").count()).toBe(0);
    expect(errors).toEqual([]);
    await close();
  });

  it("reads what an event changed once the job's first read is in, when the event came while it was out", async () => {
    const id = (await api<{ id: string }>("POST", "/jobs", { manifest: { title: "Early event", requires: ["gpu"] } }))
      .id;
    const { page, errors, close, sockets } = await openRecording();
    const jobRead = await holdReads(page, `/jobs/${id}`);
    const runsReads = async () =>
      ((await page.evaluate("asked.splice(0)")) as string[]).filter((p) => p.endsWith(`/jobs/${id}/runs`)).length;
    await page.goto(`${suite.h.url}/#/jobs/${id}`);
    await expect.poll(() => page.locator(".feed-state").getAttribute("class"), SOON).toContain("feed-live");
    await expect.poll(runsReads, SOON).toBe(1); // the runs panel's own first read, answered
    const runsPanel = page.locator("section[aria-labelledby=runs-title] p.empty");
    await expect.poll(() => runsPanel.textContent(), SOON).toBe("No attempts yet.");
    expect(jobRead.held()).toBe(1); // the job's first read still out
    await sendLease(page, sockets[0]!.page);
    await jobRead.release();
    await expect.poll(() => page.locator("#job-title").textContent(), SOON).toBe("Early event");
    await readsAddUp(runsReads, 1);
    expect(errors).toEqual([]);
    await close();
  });

  // What the feed owed while the job's first read was out is kept when that read fails, and read once a later read of
  // the job works (the poller's tick reads a job whose read failed): a failed first read lost nothing.
  it("keeps what an event changed through a failed first read of the job, and reads it once a read works", async () => {
    const id = (await api<{ id: string }>("POST", "/jobs", { manifest: { title: "Failed first", requires: ["gpu"] } }))
      .id;
    // The job's reads: held while `holding`, then refused (500) while `failing`, then the coordinator's.
    let [holding, failing] = [true, true];
    const held: Route[] = [];
    const refuse = (route: Route) =>
      route.fulfill({
        status: 500,
        contentType: "application/problem+json",
        body: JSON.stringify({ type: "about:blank", title: "Internal error", detail: "x", code: "internal" }),
      });
    const { page, errors, close, sockets } = await openRecording({
      route: (p) =>
        p.route(
          (u) => u.pathname.endsWith(`/jobs/${id}`),
          (route) => {
            if (route.request().method() !== "GET" || !failing) return route.continue();
            if (holding) return void held.push(route);
            return refuse(route);
          },
        ),
    });
    const runsReads = async () =>
      ((await page.evaluate("asked.splice(0)")) as string[]).filter((p) => p.endsWith(`/jobs/${id}/runs`)).length;
    await page.goto(`${suite.h.url}/#/jobs/${id}`);
    await expect.poll(() => page.locator(".feed-state").getAttribute("class"), SOON).toContain("feed-live");
    await expect.poll(runsReads, SOON).toBe(1); // the runs panel's own first read
    expect(held.length).toBe(1); // the job's first read still out
    await sendLease(page, sockets[0]!.page);
    holding = false;
    for (const r of held.splice(0)) await refuse(r); // the first read, refused
    await expect.poll(() => page.locator("#job-title").textContent(), SOON).toBe("Job not available");
    expect(await runsReads()).toBe(0); // owed, not read: the job's read is not in
    failing = false;
    await expect.poll(() => page.locator("#job-title").textContent(), SOON).toBe("Failed first");
    await readsAddUp(runsReads, 1);
    expect(errors).toEqual([]);
    await close();
  });

  // The page's views are closures per job: what job A's feed owed while A's first read was out must not be read once
  // the page shows job B — A's read answering late flushed them, and A's runs and job were read again behind B's page.
  it("reads nothing for a job left while its first read was out, when that read answers after", async () => {
    const [a, b] = await Promise.all(
      ["Left early", "Opened next"].map(
        async (title) => (await api<{ id: string }>("POST", "/jobs", { manifest: { title, requires: ["gpu"] } })).id,
      ),
    );
    const { page, errors, close, sockets } = await openRecording({
      // When a body is read in full (the page's api reads each through arrayBuffer): A's late answer, consumed.
      route: (p) =>
        p.addInitScript(`{
          window.consumed = [];
          const read = Response.prototype.arrayBuffer;
          Response.prototype.arrayBuffer = function () {
            const url = new URL(this.url).pathname;
            return read.call(this).finally(() => window.consumed.push(url));
          };
        }`),
    });
    const jobRead = await holdReads(page, `/jobs/${a}`);
    const readsOfA = async () =>
      ((await page.evaluate("asked.splice(0)")) as string[]).filter((p) => p.includes(`/jobs/${a}`));
    await page.goto(`${suite.h.url}/#/jobs/${a}`);
    await expect.poll(() => page.locator(".feed-state").getAttribute("class"), SOON).toContain("feed-live");
    await expect.poll(() => page.locator("section[aria-labelledby=runs-title] p.empty").count(), SOON).toBe(1);
    expect(jobRead.held()).toBe(1); // A's first read still out
    await sendLease(page, sockets[0]!.page); // owed: A's job and runs, once A's read is in
    await page.evaluate(`location.hash = "#/jobs/${b}"`);
    await expect.poll(() => page.locator("#job-title").textContent(), SOON).toBe("Opened next");
    await readsOfA();
    await jobRead.release();
    const consumed = () => page.evaluate("consumed") as Promise<string[]>;
    await expect.poll(async () => (await consumed()).some((p) => p.endsWith(`/jobs/${a}`)), SOON).toBe(true);
    // Each event's reads wait 250 ms to gather a burst (job-reads `soon`): a page timer due later runs after them.
    await page.evaluate(() => new Promise((r) => setTimeout(r, 500)));
    expect(await readsOfA()).toEqual([]);
    expect(await page.locator("#job-title").textContent()).toBe("Opened next");
    expect(await page.title()).toBe("Opened next · Gigafactory");
    expect(errors).toEqual([]);
    await close();
  });

  it("shows a running run's charge so far in the runs table", async () => {
    const spending = (await api<{ id: string }>("POST", "/jobs", { manifest: { title: "Spending" } })).id;
    const a = { jobId: spending, leaseEpoch: (await factory.assignmentOf(spending)).leaseEpoch };
    const insights = { costUsd: 1.25, tokensIn: 90, tokensOut: 10 };
    for (const frame of [
      { type: "accept", ...a },
      { type: "progress", ...a, insights },
    ])
      expect((await factory.request(frame)).type).toBe("ack");
    const { page, errors, close } = await open(1280);
    await page.goto(`${suite.h.url}/#/jobs/${spending}`);
    const runs = page.getByRole("region", { name: "Runs", exact: true });
    await expect.poll(() => runs.innerText(), SOON).toContain("$1.25 · 100 tokens so far");
    expect(errors).toEqual([]);
    await close();
  });
});
