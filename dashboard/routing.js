// routing.js — the learned-routing page (#/routing, issue 11 part 5): the recommendations with their evidence and an
// Apply button each (POST …/routing/rules with the finding's rule and fromRecommendation; operators, audited), the
// rules in force with Remove (DELETE …/routing/rules/{id}), and the experiments (routing-experiments.js). Apply and
// Remove are not drawn for a viewer (role.js); a token whose role is unknown sees the server's refusal. Re-read every
// POLL_MS while open. Stable ids: `rec-<id>`, `apply-<id>`, `rule-<id>`, `remove-<id>`, `routing-status`.

import { RECOMMENDATIONS, RULES } from "./answers.js";
import { api, describeError } from "./api.js";
import { busyAttr, setBusy } from "./busy.js";
import { focusReturn, h, redrawKeepingFocus, replace, showError, showLoadError, statusLine, when } from "./dom.js";
import { newestRead } from "./newest-read.js";
import { pressOver } from "./press-hold.js";
import { experimentsSection } from "./routing-experiments.js";

/** 10 s: findings move with run ends and experiments with each counted outcome; faster would only add load. */
const POLL_MS = 10_000;

/**
 * @param {HTMLElement} root
 * @param {import("./live.js").Live} live
 */
export function routingView(root, live) {
  let alive = true;
  const status = statusLine();
  status.id = "routing-status";
  status.tabIndex = -1; // focus lands on the outcome when the pressed button is gone from the redrawn list
  const recs = h("div", { id: "routing-recs" }, h("p", { class: "muted" }, "Loading…"));
  const rules = h("div", { id: "routing-rules" });
  const experiments = experimentsSection(live.session, (id) => live.factoryName(id));

  /**
   * The buttons whose request is out, by id: each is drawn busy (busy.js) until its answer, also when the list is redrawn
   * meanwhile. A double click sent a second request, whose refusal (an applied rule's twin: 409; a removed rule: 404)
   * replaced the first one's success on the status line.
   * @type {Set<string>}
   */
  const pending = new Set();

  /** @param {string} id the button's @param {string} path @param {string} done @param {any} [body] @param {string} [method] */
  const act = async (id, path, done, body, method = "POST") => {
    if (pending.has(id)) return;
    pending.add(id);
    const button = document.getElementById(id);
    const giveBack = button ? focusReturn(button, status) : () => {};
    setBusy(button, true); // aria-disabled: the pressed button keeps keyboard focus (busy.js)
    try {
      await api(live.session, path, { method, ...(body ? { body } : {}) });
      if (!alive) return;
      showError(status);
      status.textContent = done;
      reads.overtake(); // a poll out now was sent before the action: drawn before the re-read, it put the old list back
      await load();
    } catch (err) {
      if (alive) showError(status, describeError(err));
    } finally {
      pending.delete(id);
      setBusy(document.getElementById(id), false);
      giveBack(); // to the button, or to the outcome when the rule or recommendation it acted on is gone
    }
  };

  /** @param {any[]} list */
  const drawRecs = (list) => {
    if (list.length === 0) {
      replace(
        recs,
        h("p", { class: "empty" }, "No recommendations: not enough runs yet, or no host is clearly worse."),
      );
      return;
    }
    replace(
      recs,
      h(
        "ul",
        { class: "recs" },
        ...list.map((r) =>
          h(
            "li",
            { id: `rec-${r.id}`, class: `rec rec-${r.kind}`, dataset: { testid: "recommendation", kind: r.kind } },
            h("p", null, h("span", { class: "badge" }, r.kind === "cost" ? "cost" : "failure rate"), " ", r.message),
            r.appliedAs
              ? h("p", { class: "muted" }, `applied as rule ${r.appliedAs}`)
              : h(
                  "button",
                  {
                    type: "button",
                    class: "primary small",
                    id: `apply-${r.id}`,
                    "data-needs": "operator", // role.js
                    ...busyAttr(pending.has(`apply-${r.id}`)),
                    dataset: { testid: "apply-recommendation" },
                    onclick: () =>
                      act(`apply-${r.id}`, "/routing/rules", `Applied ${r.id}.`, {
                        ...r.rule,
                        fromRecommendation: r.id,
                      }),
                  },
                  `Apply: ${r.rule.effect} ${live.factoryName(r.rule.factoryId)}`,
                ),
          ),
        ),
      ),
    );
  };

  /** @param {any[]} list */
  const drawRules = (list) => {
    if (list.length === 0) {
      replace(rules, h("p", { class: "muted" }, "No routing rules."));
      return;
    }
    replace(
      rules,
      h(
        "ul",
        { class: "rules" },
        ...list.map((r) =>
          h(
            "li",
            { id: `rule-${r.id}`, dataset: { testid: "routing-rule" } },
            // The factory by its name (its id in the title), as every other page names it: "avoid fac_0mxc…" said
            // nothing an operator recognises. A factory not listed (removed) keeps its id.
            h("strong", null, `${r.effect} `, h("bdi", { title: r.factoryId }, live.factoryName(r.factoryId))),
            // The reason and the author in their own <bdi>: a right-to-left override in one must not draw the
            // rest of the line backwards (test/e2e/dashboard-bidi).
            ` · engine ${r.engine ?? "any"} · class ${r.jobClass ?? "any"} · `,
            h("bdi", null, r.reason),
            " · by ",
            h("bdi", null, r.createdBy),
            `, ${when(r.createdAt)} `,
            h(
              "button",
              {
                type: "button",
                class: "secondary small",
                id: `remove-${r.id}`,
                "data-needs": "operator", // role.js
                ...busyAttr(pending.has(`remove-${r.id}`)),
                // "Remove" alone named every rule's button alike: a screen reader's list of buttons said which none was.
                "aria-label": `Remove rule ${r.effect} ${live.factoryName(r.factoryId)}, engine ${r.engine ?? "any"}, class ${r.jobClass ?? "any"}`,
                onclick: () =>
                  act(
                    `remove-${r.id}`,
                    `/routing/rules/${encodeURIComponent(r.id)}`,
                    `Removed ${r.id}.`,
                    undefined,
                    "DELETE",
                  ),
              },
              "Remove",
            ),
          ),
        ),
      ),
    );
  };

  /** Recommendations and rules have been drawn once: until then the list says Loading…, or that it is not read. */
  let drawn = false;
  /**
   * The page's reads, numbered as sent: a poll sent before an Apply or Remove and answered after the action's own read
   * drew the rules and recommendations as they were before it (the applied one offered again, the removed rule back)
   * until the next poll. No read older than one drawn draws, and an action overtakes the reads out (newest-read.js).
   */
  const reads = newestRead();
  const load = async () => {
    const mine = reads.begin();
    try {
      const [r, ru] = await Promise.all([
        api(live.session, "/routing/recommendations", { answer: RECOMMENDATIONS }),
        api(live.session, "/routing/rules", { answer: RULES }),
      ]);
      await pressOver(); // an Apply or Remove redrawn between press and release lost the press (press-hold.js)
      if (!alive || !reads.newest(mine)) return; // overtaken: the newer read draws
      showLoadError(status);
      // Redrawn every POLL_MS: keyboard focus on an Apply or Remove stays on it (it fell to the page's top).
      redrawKeepingFocus(recs, () => drawRecs(r.recommendations), status);
      redrawKeepingFocus(rules, () => drawRules(ru.rules), status);
      drawn = true;
      await experiments.load();
    } catch (err) {
      if (!alive || !reads.newest(mine)) return; // an older read's failure is not the page's state
      showLoadError(status, `Cannot load routing: ${describeError(err)}`);
      // Never read: "Loading…" stayed under the line that said the read had failed, for as long as it failed.
      if (!drawn) replace(recs, h("p", { class: "muted" }, "Not read yet: the line above says why; read again soon."));
    }
  };

  replace(
    root,
    h(
      "section",
      { class: "routing", "aria-labelledby": "routing-title" },
      h("h1", { id: "routing-title" }, "Routing"),
      status,
      h("h2", null, "Recommendations"),
      recs,
      h("h2", null, "Rules in force"),
      rules,
      experiments.el,
    ),
  );
  void load();
  const timer = setInterval(load, POLL_MS);
  return () => {
    alive = false;
    clearInterval(timer);
    experiments.destroy();
  };
}
