/**
 * @module cli/progress
 * Progress of a batch on stderr: a bar redrawn in place when stderr is a
 * terminal, one plain line per item otherwise (CI logs and pipes cannot
 * redraw, and a bar's carriage returns would garble them). Stdout is never
 * touched, so the batch's result stays clean for pipes and `--json`.
 */
import { terminalText } from "../core/terminal-text.ts";
import { oneLine, truncate, width } from "./table.ts";

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

/**
 * The terminal width a redrawn line is fitted to when the caller does not know it: 80, what terminals open at. `\r`
 * returns to the start of the row the cursor is on, so a bar line wider than the terminal wrapped, and each redraw
 * left the rows above it on screen — a file name of 60 characters scrolled one stale bar per file.
 */
const DEFAULT_COLUMNS = 80;

/**
 * A progress display writing through `write` (stderr) for `total` items: redrawn in place when `tty`, its line cut to
 * `columns` less one (a line that fills the last column wraps early on some terminals); else one line per item. Each
 * label is text from elsewhere (a job id the coordinator answered) and is shown on one line, its control characters
 * as pictures (core/terminal-text): a newline in it printed a forged `✔ [3/3] …` line of its own.
 */
export function createProgress(
  write: (text: string) => void,
  total: number,
  tty: boolean,
  columns = DEFAULT_COLUMNS,
): Progress {
  let done = 0;
  let failed = 0;
  return {
    tick(label, ok) {
      done++;
      if (!ok) failed++;
      const shown = terminalText(label);
      if (tty) {
        const tail = failed > 0 ? `  ${failed} failed` : "";
        const head = `${renderBar(done, total)}${tail}  `;
        const fitted = truncate(shown, Math.max(0, columns - 1 - width(head)));
        write(`\r\x1b[K${head}${fitted}`); // \x1b[K: clear the rest of the old line
      } else {
        write(`${ok ? "✔" : "✘"} [${done}/${total}] ${oneLine(shown)}\n`);
      }
    },
    finish() {
      if (tty && done > 0) write("\n");
    },
  };
}
