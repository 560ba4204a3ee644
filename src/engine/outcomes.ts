/**
 * What a worker tells the coordinator about single devices (not only counts): which held
 * connections dropped, which attempts failed, which connected — each with its time, so
 * replacements and storm backoffs count from when it happened, not from when it was heard.
 */
import { epochNow } from '../util/clock.js';

class Timed {
  private devices: number[] = [];
  private times: number[] = [];

  add(device: number, at = epochNow()): void {
    this.devices.push(device);
    this.times.push(at);
  }

  take(): { devices: Int32Array; at: Float64Array } {
    const out = { devices: Int32Array.from(this.devices), at: Float64Array.from(this.times) };
    this.devices = [];
    this.times = [];
    return out;
  }
}

export class Outcomes {
  readonly dropped = new Timed();
  readonly failed = new Timed();
  readonly connected = new Timed();
}
