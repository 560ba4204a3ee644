/**
 * Small builders of the pages' markup, so that a table reads as its cells. Every argument is
 * markup already (text goes through escapeMarkup first); no class given, no class attribute.
 */

const classAttr = (cls: string | undefined): string => (cls === undefined ? '' : ` class="${cls}"`);

/** `<tag class="cls">html</tag>` */
export const el = (tag: string, html: string, cls?: string): string => `<${tag}${classAttr(cls)}>${html}</${tag}>`;

export const td = (html: string, cls?: string): string => el('td', html, cls);
export const th = (html: string, cls?: string): string => el('th', html, cls);
/** A row of cells (already `<td>`s or `<th>`s). */
export const tr = (cells: readonly string[], cls?: string): string => el('tr', cells.join(''), cls);

/** A table's head: one row of `<th>` cells. */
export const thead = (cells: readonly string[]): string => `<thead>${tr(cells)}</thead>`;

/** A table of class `cls`: its head's cells, then its body's rows (already joined), each body line apart. */
export function table(cls: string, head: readonly string[], rows: string): string {
  return `<table class="${cls}">${thead(head)}<tbody>\n${rows}\n</tbody></table>`;
}

/** A chart's box, drawn by the page's script from the data element. */
export function chart(kind: string, height: number, half: boolean): string {
  return `<div class="chart" data-chart="${kind}" data-height="${height}" data-half="${half ? 1 : 0}"></div>`;
}

/** A chart in its figure, under a title and a caption (both markup). */
export function figure(title: string, caption: string, box: string, cls?: string): string {
  return el('figure', `<h3>${title}</h3><figcaption>${caption}</figcaption>${box}`, cls);
}
