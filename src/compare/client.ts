/**
 * The comparison page's script: every run's percentile curve of a phase overlaid in one
 * chart (one colour per run, as in the tables), and the capacity searches' steps by rate.
 * Shares its formats, sizing and ready signal with the report (CHART_KIT_JS).
 */
import { CHART_KIT_JS } from '../report/html/index.js';

/** The dash of run i's curve: A solid, and every other run after B dashed (C, E, ...), so curves that overlap stay apart. */
const RUN_DASH = String.raw`i === 0 ? undefined : (i % 2 === 0 ? [8, 3] : undefined)`;

export const COMPARE_CLIENT_JS = String.raw`
(function () {
${CHART_KIT_JS}
  function percentileOverlay(el, phase) {
    var series = [{ label: 'percentile', value: function (u, v) { return v == null ? '–' : pctLabel(v); } }];
    var d = [data.x];
    data.runs.forEach(function (r, i) {
      var values = r.phases[phase];
      if (!values) return;
      series.push({ label: r.letter + ' ' + r.label, stroke: r.color, width: 2, dash: ${RUN_DASH}, value: function (u, v) { return fmtMs(v); } });
      d.push(values);
    });
    curvesChart(el, series, d);
  }

  drawAll(function (kind, el, arg) {
    if (kind === 'compare') percentileOverlay(el, arg);
    else if (kind === 'steps') stepsChart(el, data.capacity, arg, data.sloP99);
  });
})();
`;
