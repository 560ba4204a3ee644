/**
 * Sections a caller adds to the HTML report (a capacity search's, for one): what a section
 * is, where it may go, and the data of the chart kit's generic charts it may draw.
 */
import { escapeMarkup as esc } from '../escape.js';

/** The colour of the run in the report's charts (its blue); a section drawing this run uses it too. */
export const RUN_COLOR = '#2563eb';

/** The data of the kit's `steps` chart: connect latency or achieved rate against the rate scheduled. */
export interface StepsChartData {
  /** one series per run (a search's steps by rate), in its colour */
  runs: {
    label: string;
    color: string;
    steps: { rate: number; achieved: number; p50: number | null; p99: number | null }[];
  }[];
  /** the p99 SLO on end-to-end connect, ms, drawn as a dashed line; null when there is none */
  sloP99: number | null;
}

/**
 * A chart of the report's chart kit that draws a section's boxes, with its data. A box
 * `<div class="chart" data-chart="SECTION_ID:ARG" data-height="240">` in the section's
 * html is drawn by `kind` from `data` and ARG (for `steps`: `latency` or `achieved`).
 */
export type SectionChart = { kind: 'steps'; data: StepsChartData };

/** The report's own sections that every report has, in page order: an extra section goes before one of them, or at the end. */
export type Slot = 'thresholds' | 'latency' | 'timeline' | 'failures' | 'config';
export type HtmlSectionPosition = `before-${Slot}` | 'end';

export interface HtmlSection {
  /** the anchor of the section, unique in the page: letters, digits, `-` and `_`, starting with a letter */
  id: string;
  /** its entry in the table of contents */
  label: string;
  /** the section, escaped already: one `<section id="ID">` element */
  html: string;
  /** styles it needs, after the report's own (styles several sections share are added once) */
  css?: string;
  /** what draws the chart boxes in `html` */
  chart?: SectionChart;
  /** where it goes; default `before-thresholds`: right after the verdict (and the baseline) */
  position?: HtmlSectionPosition;
}

/** A piece of the page: its html, its table-of-contents entries, and the slot it opens (extra sections go before it). */
export interface Part {
  html: string;
  toc: readonly (readonly [id: string, label: string])[];
  slot?: Slot;
}

const ID = /^[A-Za-z][\w-]*$/;

/** Checks the extra sections against each other and the page's own ids (a caller's mistake: thrown). */
export function checkSections(sections: readonly HtmlSection[], own: readonly Part[]): void {
  const taken = new Set(own.flatMap((p) => p.toc.map(([id]) => id)));
  for (const s of sections) {
    if (!ID.test(s.id)) throw new Error(`HTML section id "${s.id}": use letters, digits, - and _`);
    if (taken.has(s.id)) throw new Error(`HTML section id "${s.id}" is already in the page`);
    taken.add(s.id);
  }
}

/** The page's parts with the extra sections in their places. */
export function placeSections(own: readonly Part[], sections: readonly HtmlSection[]): Part[] {
  const at = (position: HtmlSectionPosition): Part[] =>
    sections
      .filter((s) => (s.position ?? 'before-thresholds') === position)
      .map((s) => ({ html: s.html, toc: [[s.id, s.label]] }));
  return [...own.flatMap((p) => (p.slot === undefined ? [p] : [...at(`before-${p.slot}`), p])), ...at('end')];
}

/** The table of contents of the parts, in page order. */
export function tocHtml(parts: readonly Part[]): string {
  const links = parts.flatMap((p) => p.toc).map(([id, label]) => `<a href="#${esc(id)}">${esc(label)}</a>`);
  return `<nav class="toc">${links.join('')}</nav>`;
}

/** The extra sections' styles, each distinct one once. */
export function sectionsCss(sections: readonly HtmlSection[]): string {
  return [...new Set(sections.map((s) => s.css ?? ''))].join('');
}

/** The chart data of the sections, by id, for the page's data element. */
export function sectionsData(sections: readonly HtmlSection[]): Record<string, SectionChart> {
  return Object.fromEntries(sections.flatMap((s) => (s.chart === undefined ? [] : [[s.id, s.chart] as const])));
}
