/**
 * A worker's arrivals waiting for their intended start, kept in order of that time.
 * Arrivals come in order; a replacement or a storm reconnect that is already due may not,
 * and must not wait behind later ones. Two parallel number arrays, no object per entry.
 */
export class ArrivalQueue {
  private readonly devices: number[] = [];
  private readonly times: number[] = [];
  private head = 0;

  get size(): number {
    return this.devices.length - this.head;
  }

  push(device: number, at: number): void {
    const times = this.times;
    let i = times.length;
    while (i > this.head && times[i - 1]! > at) i--;
    if (i === times.length) {
      this.devices.push(device);
      times.push(at);
    } else {
      this.devices.splice(i, 0, device);
      times.splice(i, 0, at);
    }
  }

  /** Intended start of the next arrival (undefined when empty). */
  nextAt(): number | undefined {
    return this.head < this.times.length ? this.times[this.head] : undefined;
  }

  /** Takes the next arrival's device (call after nextAt()). */
  shift(): number {
    const device = this.devices[this.head]!;
    this.head++;
    if (this.head > 4096 && this.head * 2 > this.devices.length) {
      this.devices.splice(0, this.head);
      this.times.splice(0, this.head);
      this.head = 0;
    }
    return device;
  }

  clear(): void {
    this.devices.length = 0;
    this.times.length = 0;
    this.head = 0;
  }
}
