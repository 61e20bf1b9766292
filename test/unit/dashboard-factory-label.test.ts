// The dashboard names a factory by id as the CLI's metrics table does (dashboard/factory-label.js): its name; `name
// (id)` when another listed factory shares the name (a host enrolled again under its name); its id when the fleet
// list does not hold it. An alert's subject names its factory so — `factory:<id>` read "factory:fac_…" on the
// alerts list (pass 43) — and a breaker's its factory and engine; `product` and `job:<id>` stay as they are. The
// run a serial key waits on to stop names its factory so in a wait's detail (it read "on factory fac_1").
import { describe, expect, it } from "vitest";
// @ts-expect-error plain browser JavaScript, typed by JSDoc only
import { alertSubjectText, factoryLabel } from "../../dashboard/factory-label.js";
// @ts-expect-error plain browser JavaScript, typed by JSDoc only
import { detailRows } from "../../dashboard/waiting.js";

const FLEET = [
  { id: "fac_a", name: "box-1" },
  { id: "fac_b", name: "box-2" },
  { id: "fac_c", name: "box-2" }, // box-2 revoked and enrolled again
];

describe("factoryLabel", () => {
  it("names a factory, with its id when the name is shared, and its id when unlisted", () => {
    expect(factoryLabel("fac_a", FLEET)).toBe("box-1");
    expect(factoryLabel("fac_b", FLEET)).toBe("box-2 (fac_b)");
    expect(factoryLabel("fac_c", FLEET)).toBe("box-2 (fac_c)");
    expect(factoryLabel("fac_gone", FLEET)).toBe("fac_gone");
    expect(factoryLabel(undefined, FLEET)).toBe("");
    expect(factoryLabel("fac_a", [])).toBe("fac_a");
  });
});

describe("alertSubjectText", () => {
  it("names the factory of a factory's and a breaker's alert", () => {
    expect(alertSubjectText("factory:fac_a", FLEET)).toBe("factory box-1");
    expect(alertSubjectText("factory:fac_c", FLEET)).toBe("factory box-2 (fac_c)");
    expect(alertSubjectText("factory:fac_gone", FLEET)).toBe("factory fac_gone");
    expect(alertSubjectText("breaker:fac_a:claude", FLEET)).toBe("breaker of box-1, engine claude");
    expect(alertSubjectText("breaker:fac_b:*", FLEET)).toBe("breaker of box-2 (fac_b), any engine");
  });

  it("leaves any other subject as it is", () => {
    expect(alertSubjectText("product", FLEET)).toBe("product");
    expect(alertSubjectText("job:job_1", FLEET)).toBe("job:job_1");
    expect(alertSubjectText("host-2", FLEET)).toBe("host-2");
    expect(alertSubjectText("factory:", FLEET)).toBe("factory:");
  });
});

describe("a wait's detail", () => {
  it("names the stopping run's factory, and keeps its id without a namer", () => {
    const reason = {
      code: "serial_key_held",
      message: "m",
      since: 0,
      detail: { stopping: { jobId: "j1", factoryId: "fac_c", leaseEpoch: 3 } },
    };
    const name = (id: string) => factoryLabel(id, FLEET);
    expect(detailRows(reason, name)[0]?.[2]).toBe("job j1 on factory box-2 (fac_c) (lease epoch 3)");
    expect(detailRows(reason)[0]?.[2]).toBe("job j1 on factory fac_c (lease epoch 3)");
  });
});
