/**
 * @module agent/engine-absent
 * The default engines (`claude`, `codex`: agent/engines DEFAULT_ENGINES) that were not installed when `run` started.
 * They were looked for once, at start: one installed while the agent ran was offered only from its next start —
 * SIGUSR2 and the periodic look covered withdrawn engines and the operator's `--engine`s only. Now each is looked
 * for again every `everyMs` (the withdrawn engines' first look, 5 min: a PATH lookup, a few stat calls) and at once
 * on SIGUSR2 (agent/engine-offer `recheckNow`); one found startable is handed to `found` (offered from then on).
 * An engine the operator names itself (`--engine claude=…`, the config file) is the operator's, not absent here:
 * agent/engine-unavailable withdraws it instead.
 */
import { DEFAULT_ENGINES } from "./engines.ts";

/** The default engines in neither `installed` nor `operator`'s own: name → its default template. */
export function absentDefaults(
  installed: ReadonlyMap<string, string>,
  operator: Readonly<Record<string, string>>,
): Map<string, string> {
  return new Map(
    Object.entries(DEFAULT_ENGINES).filter(([name]) => !installed.has(name) && !Object.hasOwn(operator, name)),
  );
}

/** The absent defaults, looked for until found or stopped. */
export class AbsentDefaults {
  private readonly absent: Map<string, string>;
  // Plain fields, not parameter properties: Node's type stripping, which runs the agent, does not support those.
  private readonly probe: (template: string) => string | undefined;
  private readonly found: (name: string, template: string) => void;
  private readonly everyMs: number;
  private timer: ReturnType<typeof setTimeout> | undefined;

  /**
   * `probe(template)`: what keeps it from starting (agent/engine-start), undefined when nothing does — then it is
   * `found`. Looks every `everyMs` while any is absent (the timer keeps no exiting agent alive).
   */
  constructor(
    absent: ReadonlyMap<string, string>,
    probe: (template: string) => string | undefined,
    found: (name: string, template: string) => void,
    everyMs: number,
  ) {
    this.absent = new Map(absent);
    this.probe = probe;
    this.found = found;
    this.everyMs = everyMs;
    this.schedule();
  }

  /** The names still absent, in preference order. */
  names(): string[] {
    return [...this.absent.keys()];
  }

  /** Looks for every absent default now; returns the names found (each handed to `found`). */
  lookNow(): string[] {
    const found: string[] = [];
    for (const [name, template] of this.absent) {
      if (this.probe(template) !== undefined) continue;
      this.absent.delete(name);
      found.push(name);
      this.found(name, template);
    }
    return found;
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.absent.clear();
  }

  private schedule(): void {
    if (this.absent.size === 0) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.lookNow();
      this.schedule();
    }, this.everyMs);
    this.timer.unref?.();
  }
}
