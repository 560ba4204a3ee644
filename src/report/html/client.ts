/**
 * The report's own script (plain ES2017, inlined next to uPlot): reads the data element,
 * draws the percentile curves and the timelines, keeps them sized to their boxes on
 * screen and in print. When every chart is drawn it sets `data-charts` on <html> and
 * `window.herdReportReady` (ms since navigation start), which the tests wait for.
 *
 * The boxes of extra sections (data-chart="<section id>:<arg>") are drawn by the kit chart
 * their section's data names (see SectionChart in section.ts).
 *
 * Kept as strings (no DOM types in the Node build); no backticks or dollar-braces inside,
 * except where CLIENT_JS pastes in the kit it shares with the comparison page, the run's
 * colour, and the two functions below.
 */
import { RUN_COLOR } from './section.js';

/** uPlot's `values` of a steps chart's y axis: ms on the latency chart, else rates (`kind` is the chart's). */
const STEPS_Y_TICKS = String.raw`function (u, s) { return s.map(kind === 'latency' ? fmtMs : fmtNum); }`;
/** uPlot's `value` of a latency series: the legend's number, in ms. */
const MS_VALUE = String.raw`function (u, v) { return fmtMs(v); }`;

/**
 * What the report and the comparison page share: the data element, number and time
 * formats, chart sizing for screen and print, the generic charts (percentile curves, steps
 * by rate) and the charts of extra sections, and drawAll(), which draws every chart box and
 * then sets the ready signal. Pasted at the top of each page's function scope.
 */
export const CHART_KIT_JS = String.raw`
  'use strict';
  var PRINT_WIDTH = 700;
  var data = JSON.parse(document.getElementById('herd-data').textContent);
  var charts = [];

  function trim(s) { return s.indexOf('.') < 0 ? s : s.replace(/\.?0+$/, ''); }
  function fmtMs(v) {
    if (v == null) return '–';
    if (v === 0) return '0';
    if (v < 1) return Math.round(v * 1000) + 'µs';
    if (v < 10) return trim(v.toFixed(2)) + 'ms';
    if (v < 1000) return trim(v.toFixed(1)) + 'ms';
    return trim((v / 1000).toFixed(2)) + 's';
  }
  function fmtNum(v) {
    if (v == null) return '–';
    return Math.abs(v) >= 100 ? Math.round(v).toLocaleString('en-US') : trim(v.toFixed(2));
  }
  function fmtDur(s) {
    s = Math.round(s);
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
    var mm = h > 0 && m < 10 ? '0' + m : String(m);
    return (h > 0 ? h + ':' : '') + mm + ':' + (r < 10 ? '0' : '') + r;
  }
  function pctLabel(x) {
    if (x == null) return '';
    if (x <= 1) return '0%';
    var p = 100 * (1 - 1 / x);
    var digits = Math.max(0, Math.min(4, Math.ceil(-Math.log10(100 - p + 1e-9)) + 1));
    return trim(p.toFixed(digits)) + '%';
  }
  function zeroUp(u, min, max) { return [0, max > 0 ? max * 1.08 : 1]; }
  var TIME_INCRS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400];

  function boxWidth(el) { return Math.max(260, Math.floor(el.getBoundingClientRect().width)); }
  function make(el, opts, d) {
    opts.width = boxWidth(el);
    opts.height = Number(el.getAttribute('data-height') || 240);
    var u = new uPlot(opts, d, el);
    charts.push({ u: u, el: el, height: opts.height, half: el.getAttribute('data-half') === '1' });
    return u;
  }

  /** The axes of a percentile curve: x = 1/(1 - p) on a log scale, labelled as percentiles; y in ms. */
  function percentileAxes() {
    return [
      {
        label: 'percentile',
        // 0% and 50% sit close together: on a narrow chart only the decades are labelled
        splits: function (u) { return u.width < 420 ? [1, 10, 100, 1000, 10000] : [1, 2, 10, 100, 1000, 10000]; },
        filter: function (u, s) { return s; },
        values: function (u, s) { return s.map(pctLabel); }
      },
      { label: 'ms', size: 64, values: function (u, s) { return s.map(fmtMs); } }
    ];
  }

  /** A percentile-curve chart: series after the x series, data [x, ...curves]. */
  function curvesChart(el, series, d) {
    return make(el, {
      scales: { x: { time: false, distr: 3, log: 10 }, y: { range: zeroUp } },
      axes: percentileAxes(),
      series: series,
      cursor: { drag: { x: false, y: false } }
    }, d);
  }

  /**
   * Capacity steps by rate, one series per run ({ label, color, steps: [{ rate, achieved, p50, p99 }] }):
   * 'latency' draws each run's p99 (and p50 dashed for a single run) on log axes, with the
   * p99 SLO as a dashed line; 'achieved' draws achieved against scheduled connects per second.
   */
  function stepsChart(el, runs, kind, sloP99) {
    var rates = [];
    runs.forEach(function (r) { r.steps.forEach(function (s) { if (rates.indexOf(s.rate) < 0) rates.push(s.rate); }); });
    rates.sort(function (a, b) { return a - b; });
    function col(r, key) {
      return rates.map(function (x) {
        var v = null;
        r.steps.forEach(function (s) { if (s.rate === x) v = s[key]; });
        return v;
      });
    }
    var rateFmt = function (u, v) { return v == null ? '–' : fmtNum(v) + '/s'; };
    var msFmt = function (u, v) { return fmtMs(v); };
    var series = [{ label: 'scheduled', value: rateFmt }];
    var d = [rates];
    var pts = { show: true, size: 7 };
    runs.forEach(function (r) {
      if (kind === 'latency') {
        d.push(col(r, 'p99'));
        series.push({ label: (runs.length > 1 ? r.label + ' ' : '') + 'p99', stroke: r.color, width: 2, spanGaps: true, points: pts, value: msFmt });
        if (runs.length === 1) {
          d.push(col(r, 'p50'));
          series.push({ label: 'p50', stroke: r.color, width: 1.5, dash: [5, 4], spanGaps: true, points: pts, value: msFmt });
        }
      } else {
        d.push(col(r, 'achieved'));
        series.push({ label: (runs.length > 1 ? r.label + ' ' : '') + 'achieved', stroke: r.color, width: 2, spanGaps: true, points: pts, value: rateFmt });
      }
    });
    if (kind === 'latency' && sloP99 != null) {
      d.push(rates.map(function () { return sloP99; }));
      series.push({ label: 'p99 SLO', stroke: '#dc2626', width: 1, dash: [3, 3], value: msFmt });
    }
    if (kind === 'achieved') {
      d.push(rates.slice());
      series.push({ label: 'as scheduled', stroke: '#9ca3af', width: 1, dash: [4, 4], value: rateFmt });
    }
    make(el, {
      scales: { x: { time: false, distr: 3, log: 10 }, y: kind === 'latency' ? { distr: 3, log: 10 } : { range: zeroUp } },
      axes: [
        { label: 'connects per second scheduled', values: function (u, s) { return s.map(function (v) { return v == null ? '' : fmtNum(v); }); } },
        { label: kind === 'latency' ? 'connect, end to end' : 'connects per second', size: 64, values: ${STEPS_Y_TICKS} }
      ],
      series: series,
      cursor: { drag: { x: false, y: false } }
    }, d);
  }

  /** The kit's charts an extra section of a page can draw, by name: draw(el, data, arg). */
  var SECTION_CHARTS = {
    steps: function (el, d, arg) { stepsChart(el, d.runs, arg, d.sloP99); }
  };
  /** Draws a box data-chart="<section id>:<arg>" with the chart its section names; false when it names none. */
  function sectionChart(el, id, arg) {
    var own = data.sections && Object.prototype.hasOwnProperty.call(data.sections, id);
    var s = own ? data.sections[id] : null;
    var draw = s && Object.prototype.hasOwnProperty.call(SECTION_CHARTS, s.kind) ? SECTION_CHARTS[s.kind] : null;
    if (!draw) return false;
    draw(el, s.data, arg);
    return true;
  }

  /** Draws every [data-chart="kind:arg"] box with draw(kind, el, arg), keeps them sized, then signals ready. */
  function drawAll(draw) {
    var els = document.querySelectorAll('[data-chart]');
    for (var i = 0; i < els.length; i++) {
      var el = els[i];
      var spec = el.getAttribute('data-chart').split(':');
      try {
        draw(spec[0], el, spec[1]);
      } catch (e) {
        el.textContent = 'This chart could not be drawn: ' + (e && e.message ? e.message : e);
        el.className = 'chart-empty';
        console.error(e);
      }
    }

    function fit(printing) {
      charts.forEach(function (c) {
        var w = printing ? (c.half ? Math.floor(PRINT_WIDTH / 2) - 8 : PRINT_WIDTH) : boxWidth(c.el);
        c.u.setSize({ width: w, height: printing ? Math.round(c.height * 0.8) : c.height });
      });
    }
    var pending = 0;
    window.addEventListener('resize', function () {
      clearTimeout(pending);
      pending = setTimeout(function () { fit(false); }, 100);
    });
    window.addEventListener('beforeprint', function () { fit(true); });
    window.addEventListener('afterprint', function () { fit(false); });

    document.documentElement.setAttribute('data-charts', String(charts.length));
    window.herdReportReady = performance.now();
  }
`;

export const CLIENT_JS = String.raw`
(function () {
${CHART_KIT_JS}
  var RUN = '${RUN_COLOR}', BASE = '#9ca3af', ATTEMPT = '#94a3b8', FAIL = '#dc2626', ACTIVE = '#7c3aed', P99 = '#f59e0b', DELIVERED = '#059669';
  var REASON_COLORS = ['#dc2626', '#ea580c', '#ca8a04', '#db2777', '#9333ea', '#0891b2', '#65a30d', '#6b7280'];

  function percentileChart(el, phase) {
    var x = data.run.curves.x;
    var cur = data.run.curves.phases[phase];
    var base = data.baseline ? data.baseline.curves.phases[phase] : null;
    var series = [{ label: 'percentile', value: function (u, v) { return v == null ? '–' : pctLabel(v); } }];
    var d = [x];
    if (cur) { series.push({ label: data.baseline ? 'this run' : 'latency', stroke: RUN, width: 2, value: ${MS_VALUE} }); d.push(cur); }
    if (base) { series.push({ label: 'baseline', stroke: BASE, width: 2, dash: [6, 4], value: ${MS_VALUE} }); d.push(base); }
    curvesChart(el, series, d);
  }

  /** Aligns a baseline series on this run's x (seconds since start): the union of both, with gaps. */
  function align(xa, cols, xb, colsB) {
    var xs = xa.concat(xb).sort(function (a, b) { return a - b; });
    var x = [];
    for (var i = 0; i < xs.length; i++) if (i === 0 || xs[i] !== xs[i - 1]) x.push(xs[i]);
    function place(src, vals) {
      var at = new Map();
      for (var j = 0; j < src.length; j++) at.set(src[j], vals[j]);
      return x.map(function (t) { var v = at.get(t); return v === undefined ? null : v; });
    }
    return [x].concat(cols.map(function (c) { return place(xa, c); }), colsB.map(function (c) { return place(xb, c); }));
  }

  function timelineChart(el, kind) {
    var t = data.run.timeline;
    var b = data.baseline ? data.baseline.timeline : null;
    var yLabel = { latency: 'ms', active: 'connections', messages: 'messages per second' }[kind] || 'per second';
    var fmt = kind === 'latency' ? fmtMs : fmtNum;
    var val = function (u, v) { return fmt(v); };
    var cols = [], series = [{ label: 'time', value: function (u, v) { return v == null ? '–' : fmtDur(v); } }];
    var baseCols = [];
    function add(label, values, color, extra) {
      cols.push(values);
      var s = { label: label, stroke: color, width: 2, value: val, spanGaps: false };
      for (var k in extra || {}) s[k] = extra[k];
      series.push(s);
    }
    if (kind === 'rate') {
      add('attempts/s', t.attempts, ATTEMPT, { width: 1.5 });
      add('connected/s', t.connected, RUN);
      if (t.failed.some(function (v) { return v > 0; })) add('failed/s', t.failed, FAIL);
    } else if (kind === 'active') {
      add('open connections', t.active, ACTIVE, { fill: 'rgba(124,58,237,0.08)' });
    } else if (kind === 'latency') {
      add('p50', t.p50, RUN);
      add('p99', t.p99, P99);
    } else if (kind === 'failures') {
      t.reasons.forEach(function (r, i) { add(r.reason, r.values, REASON_COLORS[i % REASON_COLORS.length]); });
      if (t.rejected.some(function (v) { return v > 0; })) add('faulty, rejected as expected', t.rejected, '#94a3b8', { dash: [4, 3], width: 1 });
      if (t.unexpected.some(function (v) { return v > 0; })) add('faulty, ACCEPTED', t.unexpected, '#111827', { width: 3 });
    } else if (kind === 'messages') {
      var m = t.messages;
      add('published/s', m.published, RUN);
      add('delivered/s', m.delivered, DELIVERED);
      if (m.late.some(function (v) { return v > 0; })) add('late/s', m.late, P99, { dash: [4, 3] });
      if (m.lost.some(function (v) { return v > 0; })) add('lost/s', m.lost, FAIL);
    }
    var baseline = {
      rate: ['connected/s', b && b.connected],
      active: ['open connections', b && b.active],
      latency: ['p99', b && b.p99],
      messages: ['published/s', b && b.messages && b.messages.published]
    }[kind];
    if (b && baseline && baseline[1]) {
      baseCols.push(baseline[1]);
      series.push({ label: 'baseline ' + baseline[0], stroke: BASE, width: 2, dash: [6, 4], value: val });
    }
    var aligned = !!(b && baseCols.length);
    // aligned on the union of both runs' seconds, each series has gaps where the other has points
    if (aligned) series.forEach(function (s, i) { if (i > 0) s.spanGaps = true; });
    var d = aligned ? align(t.x, cols, b.x, baseCols) : [t.x].concat(cols);
    make(el, {
      scales: { x: { time: false }, y: { range: zeroUp } },
      axes: [
        { label: 'time since start', incrs: TIME_INCRS, space: 60, values: function (u, s) { return s.map(fmtDur); } },
        { label: yLabel, size: 64, values: function (u, s) { return s.map(fmt); } }
      ],
      series: series,
      cursor: { sync: { key: 'timeline' }, drag: { x: true, y: false } }
    }, d);
  }

  drawAll(function (kind, el, arg) {
    if (kind === 'percentile') percentileChart(el, arg);
    else if (kind === 'timeline') timelineChart(el, arg);
    else if (!sectionChart(el, kind, arg)) throw new Error('nothing draws charts of "' + kind + '"');
  });
})();
`;
