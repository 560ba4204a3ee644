/**
 * A Prometheus histogram whose buckets are computed at scrape time from HDR histograms
 * (the coordinator's merged ones), instead of being observed value by value. prom-client's
 * Histogram can only observe; this object speaks the same interface the Registry reads
 * (name, help, type, get()), so it sits in the same non-global Registry as the rest.
 */
import type { Metric, Registry } from 'prom-client';
import { prometheusBuckets, type Hdr } from './hdr.js';
import { DURATION_BUCKETS_S } from '../model/names.js';

export type LabelSet = Record<string, string>;

/** One labelled histogram of the family, read at scrape time. */
export interface HdrSeries {
  labels: LabelSet;
  hdr: Hdr;
}

interface PromValue {
  metricName: string;
  labels: Record<string, string | number>;
  value: number;
}

/** `le` as Prometheus and prom-client write it: 0.001, 0.0025, …, 30, +Inf. */
function le(bound: number): string {
  return bound === Infinity ? '+Inf' : String(bound);
}

export class HdrHistogramMetric {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  readonly labelNames: readonly string[];

  constructor(
    readonly name: string,
    readonly help: string,
    labelNames: readonly string[],
    private readonly read: () => HdrSeries[],
    private readonly bounds: readonly number[] = DURATION_BUCKETS_S,
  ) {
    this.labelNames = labelNames;
  }

  /** Registers this family in a Registry (prom-client types only its own classes). */
  registerIn(registry: Registry): this {
    registry.registerMetric(this as unknown as Metric);
    return this;
  }

  /** Buckets, sum and count per series, in the shape prom-client's Registry renders. */
  get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: PromValue[] }> {
    const values: PromValue[] = [];
    for (const { labels, hdr } of this.read()) {
      const h = prometheusBuckets(hdr, this.bounds);
      h.bounds.forEach((b, i) =>
        values.push({
          metricName: `${this.name}_bucket`,
          labels: { ...labels, le: le(b) },
          value: h.cumulative[i] ?? 0,
        }),
      );
      values.push({ metricName: `${this.name}_bucket`, labels: { ...labels, le: '+Inf' }, value: h.count });
      values.push({ metricName: `${this.name}_sum`, labels, value: h.sum });
      values.push({ metricName: `${this.name}_count`, labels, value: h.count });
    }
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values });
  }

  /** The values are derived, nothing to reset (Registry.resetMetrics calls this). */
  reset(): void {}
}
