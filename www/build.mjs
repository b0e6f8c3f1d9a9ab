// Builds the page into one flat folder (index.html, app.js, app.css,
// favicon.svg), minified, and prints the gzipped size of the whole page.
// Usage: node build.mjs <outdir>
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync, copyFileSync, rmSync, readdirSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const here = dirname(fileURLToPath(import.meta.url));
const out = resolve(process.argv[2] || join(here, 'dist'));
const kBudget = 60 * 1024;  // whole page, gzipped

mkdirSync(out, { recursive: true });
for (const f of ['app.js', 'app.css', 'index.html', 'favicon.svg']) rmSync(join(out, f), { force: true });

await build({
  absWorkingDir: here,
  entryPoints: { app: 'src/main.js' },
  outdir: out,
  bundle: true,
  minify: true,
  format: 'iife',
  target: ['chrome90', 'firefox90', 'safari14'],
  platform: 'browser',
  legalComments: 'none',
  charset: 'utf8',
  logLevel: 'warning',
});

// Cache-busting query strings: the binary may be upgraded under an open tab.
const tag = (f) => createHash('sha256').update(readFileSync(join(out, f))).digest('hex').slice(0, 10);
const html = readFileSync(join(here, 'index.html'), 'utf8')
  .replace('href="app.css"', `href="app.css?v=${tag('app.css')}"`)
  .replace('src="app.js"', `src="app.js?v=${tag('app.js')}"`)
  .replace(/\n\s*/g, '\n')      // indentation only; keeps text nodes intact
  .replace(/>\n</g, '><');
writeFileSync(join(out, 'index.html'), html);
copyFileSync(join(here, 'favicon.svg'), join(out, 'favicon.svg'));

let total = 0;
const rows = [];
for (const f of readdirSync(out).sort()) {
  const raw = readFileSync(join(out, f));
  const gz = gzipSync(raw, { level: 9 }).length;
  if (f !== 'favicon.svg') total += gz;
  rows.push(`  ${f.padEnd(12)} ${String(raw.length).padStart(7)} B  ${String(gz).padStart(6)} B gz`);
}
console.log(rows.join('\n'));
console.log(`sbcmon www: page (HTML+CSS+JS) is ${(total / 1024).toFixed(1)} KiB gzipped (budget ${kBudget / 1024} KiB)`);
if (total > kBudget) {
  console.error('sbcmon www: over the size budget');
  process.exit(1);
}
