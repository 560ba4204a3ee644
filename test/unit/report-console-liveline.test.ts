/**
 * The live line on stderr: redrawn in place on a terminal (and kept to one line when other
 * lines are printed), a plain line now and then in a log, ended by done().
 */
import { describe, expect, it } from 'vitest';
import { LiveLine } from '../../src/report/console/index.js';

/** A stream that records what was written, as a terminal or a log file would receive it. */
function stream(isTTY: boolean): { isTTY: boolean; out: string[]; write: (t: string) => boolean } {
  const out: string[] = [];
  return { isTTY, out, write: (t) => (out.push(t), true) };
}

describe('LiveLine', () => {
  it('on a terminal: redraws one line in place, prints lasting lines over it, and done() ends it', () => {
    const s = stream(true);
    const live = new LiveLine(s);
    live.update('1s 10/s');
    live.update('2s 20/s');
    live.print('step 1 held');
    live.update('3s 30/s');
    live.done();
    live.done(); // nothing drawn any more: no second newline
    expect(s.out.join('')).toBe('\r\x1b[2K1s 10/s\r\x1b[2K2s 20/s\r\x1b[2Kstep 1 held\n\r\x1b[2K3s 30/s\n');
  });

  it('on a terminal with a redraw interval: skips redraws in between, never a forced one', () => {
    let now = 0;
    const s = stream(true);
    const live = new LiveLine(s, { redrawEveryMs: 100, now: () => now });
    live.update('a');
    now = 50;
    live.update('b');
    now = 120;
    live.update('c');
    now = 130;
    live.update('100%', { force: true });
    expect(s.out).toEqual(['\r\x1b[2Ka', '\r\x1b[2Kc', '\r\x1b[2K100%']);
  });

  it('in a log: a plain line every interval (the first one interval after the start), forced ones always', () => {
    let now = 1000;
    const s = stream(false);
    const live = new LiveLine(s, { plainEveryMs: 5000, now: () => now });
    for (let t = 1; t <= 12; t++) {
      now = 1000 + t * 1000;
      live.update(`t=${t}`);
    }
    live.update('final', { force: true });
    live.print('herd: wrote x');
    live.done();
    expect(s.out).toEqual(['t=5\n', 't=10\n', 'final\n', 'herd: wrote x\n']);
  });

  it('in a log with plain lines off: only what is printed, and forced updates', () => {
    const s = stream(false);
    const live = new LiveLine(s, { plainEveryMs: null });
    live.update('step 1 (ramp) 40/s for 2s…');
    live.print('       1  ramp      40  ✓');
    live.update('done', { force: true });
    live.done();
    expect(s.out).toEqual(['       1  ramp      40  ✓\n', 'done\n']);
  });
});
