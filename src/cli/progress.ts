/**
 * @module cli/progress
 * Progress of a batch on stderr: a bar redrawn in place when stderr is a
 * terminal, one plain line per item otherwise (CI logs and pipes cannot
 * redraw, and a bar's carriage returns would garble them). Stdout is never
 * touched, so the batch's result stays clean for pipes and `--json`.
 */

/** 24 cells: readable at a glance and leaves room for the counter and a file name on an 80-column terminal. */
const BAR_CELLS = 24;

export interface Progress {
  /** One item finished; `label` names it, `ok` says how. */
  tick(label: string, ok: boolean): void;
  /** Ends the bar's line so later output starts on a fresh one. */
  finish(): void;
}

/**
 * Whether a line on stderr can be redrawn in place (`\r`, ESC [ K): a terminal, but not one that says it is dumb
 * (`TERM=dumb`: Emacs' shell, some CI consoles), which shows the escape as text. cli/main passes this as the Io's
 * `stderrIsTTY`, so the bar and `--all`'s counters print plain lines there.
 */
export function canRedraw(isTTY: boolean, env: Readonly<Record<string, string | undefined>>): boolean {
  return isTTY && env.TERM !== "dumb";
}

export function renderBar(done: number, total: number, cells = BAR_CELLS): string {
  const filled = total === 0 ? cells : Math.round((done / total) * cells);
  return `[${"█".repeat(filled)}${"░".repeat(cells - filled)}] ${done}/${total}`;
}

export function createProgress(write: (text: string) => void, total: number, tty: boolean): Progress {
  let done = 0;
  let failed = 0;
  return {
    tick(label, ok) {
      done++;
      if (!ok) failed++;
      if (tty) {
        const tail = failed > 0 ? `  ${failed} failed` : "";
        write(`\r\x1b[K${renderBar(done, total)}${tail}  ${label}`); // \x1b[K: clear the rest of the old line
      } else {
        write(`${ok ? "✔" : "✘"} [${done}/${total}] ${label}\n`);
      }
    },
    finish() {
      if (tty && done > 0) write("\n");
    },
  };
}
