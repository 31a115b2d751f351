// `npm run picture`: the README's picture of a plan comment (docs/plan-comment.png), taken from the pull-request
// markdown that `npm run demo` writes (out/plan.md). The markdown is rendered the way GitHub shows a comment (marked +
// github-markdown-css, GitHub's alerts and diff colours), the first changed objects' <details> opened, and a headless
// Chromium takes the screenshot. Chromium is Debian's (`apt-get install chromium`, /usr/bin/chromium or $CHROMIUM);
// nothing is downloaded. Only the committed PNG is used by anyone else: neither the tests nor the package need this.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Marked } from 'marked';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const input = path.resolve(process.argv[2] ?? path.join(root, 'out', 'plan.md'));
const output = path.resolve(process.argv[3] ?? path.join(root, 'docs', 'plan-comment.png'));
const fail = (message) => {
  process.stderr.write(`plan-picture: ${message}\n`);
  process.exit(2);
};

if (!existsSync(input)) fail(`${path.relative(root, input)} does not exist: run \`npm run demo\` first, it writes it`);
const chromium = [process.env.CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser'].find(
  (c) => c && existsSync(c),
);
if (!chromium) fail('no Chromium found: install Debian’s (apt-get install chromium) or set CHROMIUM to its path');

const escapeHtml = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

// GitHub colours a ```diff block by line; marked leaves it plain, so the renderer does the same.
const marked = new Marked({
  gfm: true,
  renderer: {
    code({ text, lang }) {
      if (lang !== 'diff') return `<pre><code>${escapeHtml(text)}</code></pre>\n`;
      const lines = text.split('\n').map((line) => {
        const cls = /^(\+\+\+|---)/.test(line)
          ? 'meta'
          : line.startsWith('+')
            ? 'add'
            : line.startsWith('-')
              ? 'del'
              : line.startsWith('@@')
                ? 'hunk'
                : '';
        return cls ? `<span class="${cls}">${escapeHtml(line)}</span>` : escapeHtml(line);
      });
      return `<pre class="diff"><code>${lines.join('\n')}</code></pre>\n`;
    },
    blockquote({ tokens }) {
      // GitHub's alerts: `> [!WARNING]` becomes a coloured box with a title.
      const body = this.parser.parse(tokens);
      const alert = /^<p>\[!(NOTE|TIP|IMPORTANT|WARNING|CAUTION)\]\s*/.exec(body);
      if (!alert) return `<blockquote>${body}</blockquote>\n`;
      const kind = alert[1].toLowerCase();
      const title = kind[0].toUpperCase() + kind.slice(1);
      return `<div class="markdown-alert markdown-alert-${kind}"><p class="markdown-alert-title">${title}</p><p>${body.slice(alert[0].length)}</div>\n`;
    },
  },
});

const markdown = readFileSync(input, 'utf8');
let html = marked.parse(markdown);
// Open the first two updates, as a reviewer would, so the picture shows what a diff looks like.
let opened = 0;
html = html.replace(/<details>(\s*<summary>~ update)/g, (tag, summary) =>
  opened++ < 2 ? `<details open>${summary}` : tag,
);

const require = createRequire(import.meta.url);
const css = readFileSync(require.resolve('github-markdown-css/github-markdown-light.css'), 'utf8');
const page = `<!doctype html>
<html><head><meta charset="utf-8"><style>
${css}
body { margin: 0; background: #fff; }
.comment { width: 880px; margin: 16px; border: 1px solid #d1d9e0; border-radius: 6px; }
.comment-header { background: #f6f8fa; border-bottom: 1px solid #d1d9e0; padding: 8px 16px; font: 14px -apple-system, "Segoe UI", "Noto Sans", Helvetica, Arial, sans-serif; color: #59636e; border-radius: 6px 6px 0 0; }
.comment-header b { color: #1f2328; }
.markdown-body { padding: 16px; font-size: 14px; }
pre.diff .add { color: #116329; background: #dafbe1; display: inline-block; width: 100%; }
pre.diff .del { color: #82071e; background: #ffebe9; display: inline-block; width: 100%; }
pre.diff .hunk { color: #8250df; }
pre.diff .meta { color: #59636e; font-weight: 600; }
</style></head>
<body><div class="comment" id="comment"><div class="comment-header"><b>github-actions</b> bot commented</div>
<div class="markdown-body">${html}</div></div>
<div id="height"></div>
<script>document.getElementById('height').textContent = String(document.getElementById('comment').getBoundingClientRect().bottom + 16);</script>
</body></html>
`;

const work = mkdtempSync(path.join(os.tmpdir(), 'kubeplan-picture-'));
try {
  const file = path.join(work, 'comment.html');
  writeFileSync(file, page);
  mkdirSync(path.dirname(output), { recursive: true });
  // The flags keep Chromium off the network (this machine has none) and out of the user's profile.
  const flags = [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--hide-scrollbars',
    `--user-data-dir=${path.join(work, 'profile')}`,
    '--force-device-scale-factor=1',
  ];
  // Two runs: the first measures the comment's height (the page writes it into #height), the second takes a picture
  // of exactly that height, since a headless screenshot is of the window only.
  const measured = spawnSync(chromium, [...flags, '--window-size=912,800', '--dump-dom', `file://${file}`], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  const height = Math.ceil(Number(/<div id="height">([\d.]+)<\/div>/.exec(measured.stdout ?? '')?.[1]));
  if (!(height > 0))
    fail(`Chromium did not lay out the page (exit ${measured.status}):\n${measured.stderr.trim().slice(-2000)}`);
  const shot = spawnSync(
    chromium,
    [...flags, `--window-size=912,${height}`, `--screenshot=${output}`, `file://${file}`],
    { encoding: 'utf8', timeout: 60_000 },
  );
  if (shot.status !== 0 || !existsSync(output))
    fail(`Chromium did not take the screenshot (exit ${shot.status}):\n${shot.stderr.trim().slice(-2000)}`);
  process.stderr.write(`wrote ${path.relative(process.cwd(), output)} from ${path.relative(process.cwd(), input)}\n`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
