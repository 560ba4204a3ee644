/** The one escaping function of the report's markup outputs: HTML (report, comparison) and XML (junit.xml). */

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

// every character XML 1.0 cannot hold (HTML shows none of them either): C0 controls but tab and newlines, U+FFFE/F
// eslint-disable-next-line no-control-regex -- matching control characters is the point: they are dropped
const NOT_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;
/** A surrogate without its other half: not a character in UTF-8 either. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * Text made safe for element content and quoted attribute values of HTML and XML alike:
 * `& < > " '` as entities, characters XML cannot hold dropped, lone surrogates as U+FFFD.
 */
export function escapeMarkup(text: string | number): string {
  return String(text)
    .replace(NOT_XML, '')
    .replace(LONE_SURROGATE, '\uFFFD')
    .replace(/[&<>"']/g, (c) => ENTITIES[c] ?? c);
}
