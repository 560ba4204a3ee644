/**
 * The one live line of a command on stderr (run progress, capacity steps, mint progress).
 * On a terminal it is redrawn in place; in a log (not a TTY) it is printed as a plain line
 * now and then, so a CI log shows progress without a line per update.
 */

/** Where the line goes: process.stderr, or anything with write() and isTTY. */
export interface LineStream {
  write(text: string): unknown;
  isTTY?: boolean;
}

export interface LiveLineOptions {
  /** on a terminal, redraw at most this often (default 0: every update) */
  redrawEveryMs?: number;
  /** not on a terminal, print a plain line at most this often; null: never (default 5000) */
  plainEveryMs?: number | null;
  /** the clock, ms (default Date.now) */
  now?: () => number;
}

/** Clears the terminal's current line and returns to its start. */
const CLEAR = '\r\x1b[2K';

export class LiveLine {
  readonly tty: boolean;
  private readonly redrawEveryMs: number;
  private readonly plainEveryMs: number | null;
  private readonly now: () => number;
  /** a live line is on the terminal, without its newline */
  private drawn = false;
  private lastRedraw = -Infinity;
  private lastPlain: number;

  constructor(
    private readonly stream: LineStream,
    options: LiveLineOptions = {},
  ) {
    this.tty = stream.isTTY === true;
    this.redrawEveryMs = options.redrawEveryMs ?? 0;
    this.plainEveryMs = options.plainEveryMs === undefined ? 5000 : options.plainEveryMs;
    this.now = options.now ?? Date.now;
    this.lastPlain = this.now();
  }

  /**
   * Shows `text` as the live line: redrawn on a terminal, a plain line elsewhere when one
   * is due. `force` skips the wait (a final state, such as 100%).
   */
  update(text: string, options: { force?: boolean } = {}): void {
    const now = this.now();
    const force = options.force === true;
    if (this.tty) {
      if (!force && now - this.lastRedraw < this.redrawEveryMs) return;
      this.lastRedraw = now;
      this.stream.write(`${CLEAR}${text}`);
      this.drawn = true;
      return;
    }
    if (this.plainEveryMs === null && !force) return;
    if (!force && now - this.lastPlain < (this.plainEveryMs ?? 0)) return;
    this.lastPlain = now;
    this.stream.write(`${text}\n`);
  }

  /** Prints a line that stays: on a terminal it replaces the live line, which the next update redraws. */
  print(line: string): void {
    this.stream.write(`${this.drawn ? CLEAR : ''}${line}\n`);
    this.drawn = false;
  }

  /** Ends the live line: on a terminal its last state stays, followed by a newline. */
  done(): void {
    if (this.drawn) this.stream.write('\n');
    this.drawn = false;
  }
}
