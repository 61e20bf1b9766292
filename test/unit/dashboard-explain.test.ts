// The dashboard explain panel's Raw cell (dashboard/explain-candidate.js `rawText`): a subtracted term (starvation)
// and a centred one (track, raw − 0.5) are written so that the row's raw × weight = contribution holds, as in the
// CLI; a trial candidate's note is the CLI's words (core/half-open-trial), and a factory sharing its name with another
// reads `name (id)` as everywhere on the dashboard, the answer's own name while the page's list does not hold it.
import { describe, expect, it } from "vitest";
// @ts-expect-error plain browser JavaScript, typed by JSDoc only
import { candidateName, rawText, TRIAL_WORDS } from "../../dashboard/explain-candidate.js";
import { TRIAL_ONLY_WORDS } from "../../src/core/half-open-trial.ts";

describe("dashboard explain: the Raw cell", () => {
  it("marks a subtracted term and shows a centred term's offset", () => {
    expect(rawText({ raw: 0.99, weight: 2.5, contribution: -2.475 })).toBe("− 0.99");
    expect(rawText({ raw: 0.3, weight: 1, contribution: -0.2 })).toBe("(0.3 − 0.5)");
    expect(rawText({ raw: 0.5, weight: 2, contribution: 1 })).toBe("0.5");
  });
});

describe("dashboard explain: names and the trial note", () => {
  it("says a trial in the CLI's words, and tells two factories of one name apart", () => {
    expect(TRIAL_WORDS).toBe(TRIAL_ONLY_WORDS);
    const label = (id: string | undefined) => (id === "fac_a" ? "twin (fac_a)" : (id ?? ""));
    expect(candidateName({ factoryId: "fac_a", factoryName: "twin" }, label)).toBe("twin (fac_a)");
    // Not in the page's list yet (the label is the bare id): the answer's own name.
    expect(candidateName({ factoryId: "fac_new", factoryName: "fresh" }, label)).toBe("fresh");
  });
});
