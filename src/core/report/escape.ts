/**
 * Text from a pull request (kinds, names, file names, keys, error messages) on its way into a log line or markdown.
 * A newline in a `kind` must not start a workflow command (`::warning::`, `::stop-commands::`) or a GitLab section
 * marker in the log, nor leave `<summary>`, inline code or a fence in a comment, nor ping anyone.
 */

const LINE_BREAK = /\r\n|[\n\r\u0085\u2028\u2029]/g;
// C0 controls but tab, DEL and C1 controls: ESC starts terminal sequences (GitLab's section markers among them).
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

/** One line, whatever it holds: line breaks become ␤, other control characters their visible symbol (ESC → ␛). */
export function oneLine(text: string): string {
  return text.replace(LINE_BREAK, '␤').replace(CONTROL, (c) => {
    const code = c.charCodeAt(0);
    return code < 0x20 ? String.fromCharCode(0x2400 + code) : code === 0x7f ? '␡' : '\ufffd';
  });
}

const COMMAND_START = /^(\s*)(::|##\[)/;

/**
 * Log text whose lines cannot be read as workflow commands: a line kubeplan writes never starts with `::` or `##[`
 * (after the runner's trimming of blanks), whatever a diff line or a name holds. Such a line gets an invisible word
 * joiner in front, which the runner does not trim. Kubeplan's own commands go through @actions/core, not here.
 */
export function guardLogLines(text: string): string {
  if (!text.includes('::') && !text.includes('##[')) return text;
  return text
    .split('\n')
    .map((line) => line.replace(COMMAND_START, '$1\u2060$2'))
    .join('\n');
}

/** Inline code that nothing inside can close: a fence longer than any run of backticks inside, on one line. */
export function inlineCode(text: string, options: { table?: boolean } = {}): string {
  let t = oneLine(text);
  if (options.table) t = t.replace(/\|/g, '\\|');
  const longest = Math.max(0, ...[...t.matchAll(/`+/g)].map((m) => m[0].length));
  const ticks = '`'.repeat(longest + 1);
  const pad = t.startsWith('`') || t.endsWith('`') || t === '' ? ' ' : '';
  return `${ticks}${pad}${t}${pad}${ticks}`;
}

/** A fenced block that nothing inside can close: a fence longer than the longest run of backticks in the text. */
export function fencedBlock(text: string, lang = ''): string {
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const ticks = '`'.repeat(longest + 1);
  return `${ticks}${lang}\n${text}\n${ticks}`;
}

export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

// GitHub and GitLab mention only after a non-word character: `shop@prod-eu` (an instance) or a@b (an address) pings
// nobody and stays as it is.
const MENTION = /(?<!\w)@[A-Za-z0-9][\w-]*(?:\/[\w.-]+)?/g;

/** Text inside HTML (`<summary>`, `<sub>`): one line, HTML-escaped, @mentions as code so nobody is pinged. */
export function htmlText(text: string): string {
  return withMentions(oneLine(text), escapeHtml, (m) => `<code>${m}</code>`);
}

/**
 * Text in markdown after kubeplan's own start of line (a table cell, a list item, a note): one line, HTML-escaped,
 * the punctuation that works mid-line escaped (code, emphasis, links and images, strike-through, table cells),
 * @mentions as code. Block syntax (headings, lists, fences) needs a line start, which this text never gets.
 */
export function markdownText(text: string): string {
  return withMentions(
    oneLine(text),
    (t) => escapeHtml(t).replace(/[\\`*_[\]|~]/g, '\\$&'),
    (m) => `\`${m}\``,
  );
}

function withMentions(text: string, plain: (t: string) => string, mention: (m: string) => string): string {
  let out = '';
  let last = 0;
  for (const m of text.matchAll(MENTION)) {
    out += plain(text.slice(last, m.index)) + mention(m[0]);
    last = m.index + m[0].length;
  }
  return out + plain(text.slice(last));
}
