// SVG charts of benchmark results, written beside each benchmark's BENCH line so its README can
// show the last run as a picture. Plain SVG text, no dependencies: a line chart (series of x/y
// points, optionally a second y axis) and a grouped bar chart.
//
//   import { lineChart, barChart, writeChart } from '../../../tools/bench-chart.mjs';
//   writeChart('bench/results/sip.svg', lineChart({ title, x: { label }, y: { label }, series }));
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

const WIDTH = 720;
const HEIGHT = 380;
const PAD = { left: 70, right: 70, top: 44, bottom: 80 };
const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2'];

const esc = (text) => String(text).replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
const fmt = (n) =>
  Math.abs(n) >= 1e6
    ? `${+(n / 1e6).toPrecision(3)}M`
    : Math.abs(n) >= 1e4
      ? `${+(n / 1e3).toPrecision(3)}k`
      : `${+n.toPrecision(3)}`;

/** A "nice" upper bound and step for an axis from 0 to max. */
function niceScale(max) {
  if (!(max > 0)) return { top: 1, step: 0.25 };
  const raw = max / 5;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= raw);
  return { top: Math.ceil(max / step) * step, step };
}

function frame(title, body) {
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" ` +
    `viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">\n` +
    `<rect width="100%" height="100%" fill="#fff"/>\n` +
    `<text x="${WIDTH / 2}" y="24" text-anchor="middle" font-size="15" font-weight="bold">${esc(title)}</text>\n` +
    `${body}</svg>\n`
  );
}

function yAxis(scale, side, label, colour = '#333') {
  const x = side === 'left' ? PAD.left : WIDTH - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  let out = `<line x1="${x}" y1="${PAD.top}" x2="${x}" y2="${HEIGHT - PAD.bottom}" stroke="#999"/>\n`;
  for (let v = 0; v <= scale.top + scale.step / 2; v += scale.step) {
    const y = HEIGHT - PAD.bottom - (v / scale.top) * plotH;
    const tx = side === 'left' ? x - 6 : x + 6;
    out += `<text x="${tx}" y="${y + 4}" text-anchor="${side === 'left' ? 'end' : 'start'}" fill="${colour}">${fmt(v)}</text>\n`;
    if (side === 'left')
      out += `<line x1="${PAD.left}" y1="${y}" x2="${WIDTH - PAD.right}" y2="${y}" stroke="#eee"/>\n`;
  }
  const lx = side === 'left' ? 16 : WIDTH - 12;
  const ly = PAD.top + plotH / 2;
  out += `<text transform="translate(${lx},${ly}) rotate(-90)" text-anchor="middle" fill="${colour}">${esc(label)}</text>\n`;
  return out;
}

function legend(names) {
  let x = PAD.left;
  let out = '';
  names.forEach((name, i) => {
    const y = HEIGHT - 22;
    out += `<rect x="${x}" y="${y - 9}" width="12" height="12" fill="${COLOURS[i % COLOURS.length]}"/>`;
    out += `<text x="${x + 17}" y="${y + 1}">${esc(name)}</text>\n`;
    x += 30 + name.length * 7;
  });
  return out;
}

/**
 * A line chart. `series`: `{ name, points: [[x, y], …], axis?: 'right' }`; `x.log` draws x on a
 * log scale (idle connections from 1k to 50k).
 */
export function lineChart({ title, x, y, y2, series }) {
  const xs = series.flatMap((s) => s.points.map((p) => p[0]));
  const tx = x.log ? Math.log10 : (v) => v;
  const xMin = tx(Math.min(...xs));
  const xMax = tx(Math.max(...xs));
  const left = niceScale(Math.max(...series.filter((s) => s.axis !== 'right').flatMap((s) => s.points.map((p) => p[1]))));
  const rightSeries = series.filter((s) => s.axis === 'right');
  const right = rightSeries.length ? niceScale(Math.max(...rightSeries.flatMap((s) => s.points.map((p) => p[1])))) : null;
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const px = (v) => PAD.left + (xMax === xMin ? plotW / 2 : ((tx(v) - xMin) / (xMax - xMin)) * plotW);
  const py = (v, scale) => HEIGHT - PAD.bottom - (v / scale.top) * plotH;
  let body = yAxis(left, 'left', y.label);
  if (right) body += yAxis(right, 'right', y2?.label ?? '', '#555');
  body += `<line x1="${PAD.left}" y1="${HEIGHT - PAD.bottom}" x2="${WIDTH - PAD.right}" y2="${HEIGHT - PAD.bottom}" stroke="#999"/>\n`;
  // A log axis labels its (few) measured steps; a linear one gets evenly spaced round ticks.
  let ticks = [...new Set(xs)].sort((a, b) => a - b);
  if (!x.log) {
    const { step } = niceScale(Math.max(...xs) - Math.min(...xs));
    ticks = [];
    for (let v = Math.ceil(Math.min(...xs) / step) * step; v <= Math.max(...xs); v += step) ticks.push(v);
  }
  for (const v of ticks) {
    body += `<text x="${px(v)}" y="${HEIGHT - PAD.bottom + 16}" text-anchor="middle">${fmt(v)}</text>\n`;
  }
  body += `<text x="${PAD.left + plotW / 2}" y="${HEIGHT - PAD.bottom + 34}" text-anchor="middle">${esc(x.label)}</text>\n`;
  series.forEach((s, i) => {
    const scale = s.axis === 'right' ? right : left;
    const colour = COLOURS[i % COLOURS.length];
    // Drawn in x order: a benchmark that steps back after a failed rate measured out of order.
    const pts = [...s.points].sort((p, q) => p[0] - q[0]).map(([a, b]) => `${px(a).toFixed(1)},${py(b, scale).toFixed(1)}`);
    body += `<polyline fill="none" stroke="${colour}" stroke-width="2" ${s.axis === 'right' ? 'stroke-dasharray="6 3" ' : ''}points="${pts.join(' ')}"/>\n`;
    for (const p of pts) body += `<circle cx="${p.split(',')[0]}" cy="${p.split(',')[1]}" r="3" fill="${colour}"/>\n`;
  });
  body += legend(series.map((s) => (s.axis === 'right' ? `${s.name} (right axis)` : s.name)));
  return frame(title, body);
}

/** A grouped bar chart. `groups`: `{ label, bars: [{ name, value }] }`, the same names in each. */
export function barChart({ title, y, groups }) {
  const names = [...new Set(groups.flatMap((g) => g.bars.map((b) => b.name)))];
  const scale = niceScale(Math.max(...groups.flatMap((g) => g.bars.map((b) => b.value))));
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const groupW = plotW / groups.length;
  const barW = Math.min(60, (groupW * 0.7) / names.length);
  let body = yAxis(scale, 'left', y.label);
  body += `<line x1="${PAD.left}" y1="${HEIGHT - PAD.bottom}" x2="${WIDTH - PAD.right}" y2="${HEIGHT - PAD.bottom}" stroke="#999"/>\n`;
  groups.forEach((g, gi) => {
    const x0 = PAD.left + gi * groupW + (groupW - barW * names.length) / 2;
    g.bars.forEach((b) => {
      const i = names.indexOf(b.name);
      const h = (b.value / scale.top) * plotH;
      const x = x0 + i * barW;
      body += `<rect x="${x.toFixed(1)}" y="${(HEIGHT - PAD.bottom - h).toFixed(1)}" width="${(barW - 2).toFixed(1)}" height="${h.toFixed(1)}" fill="${COLOURS[i % COLOURS.length]}"/>\n`;
      body += `<text x="${(x + barW / 2 - 1).toFixed(1)}" y="${(HEIGHT - PAD.bottom - h - 4).toFixed(1)}" text-anchor="middle" font-size="11">${fmt(b.value)}</text>\n`;
    });
    body += `<text x="${PAD.left + gi * groupW + groupW / 2}" y="${HEIGHT - PAD.bottom + 16}" text-anchor="middle">${esc(g.label)}</text>\n`;
  });
  body += legend(names);
  return frame(title, body);
}

/** Writes a chart and says where, as one line beside the BENCH line: `CHART <path>`. */
export function writeChart(path, svg) {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, svg);
  console.log(`CHART ${path}`);
}
