// Time-series chart as plain SVG (no chart library): one line per comparison column.
import { el, fmt, lang, t } from './common.js';

const NS = 'http://www.w3.org/2000/svg';
const COLOURS = ['#253494', '#e66101', '#5e3c99', '#1b7837'];  // distinguishable with colour-vision deficiency
const DASH = ['', '6 3', '2 3', '8 3 2 3'];

function s(tag, attrs = {}, text) {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

/** Draw `series` ({periods, series: [{column, name, values: [{value, suppressed}|null]}]}) into `box`. */
export function drawSeries(box, data, { width = 460, height = 220 } = {}) {
  box.replaceChildren();
  const periods = data.periods || [];
  const lines = (data.series || []).filter((sr) => sr.values.some((v) => v && v.value !== null));
  if (!periods.length || !lines.length) {
    box.append(el('p', { class: 'muted', text: t('not_available') }));
    return;
  }
  const vals = lines.flatMap((sr) => sr.values.filter((v) => v && v.value !== null).map((v) => v.value));
  let lo = Math.min(...vals); let hi = Math.max(...vals);
  const m = { l: Math.max(44, 8 + 6.5 * Math.max(fmt(lo).length, fmt(hi).length)), r: 14, t: 12, b: 28 };
  if (lo > 0 && lo / (hi || 1) < 0.5) lo = 0;
  if (lo === hi) { lo -= 1; hi += 1; }
  const pad = (hi - lo) * 0.06; lo -= lo === 0 ? 0 : pad; hi += pad;
  const x = (i) => m.l + (periods.length === 1 ? (width - m.l - m.r) / 2 : (i * (width - m.l - m.r)) / (periods.length - 1));
  const y = (v) => m.t + ((hi - v) * (height - m.t - m.b)) / (hi - lo);
  const svg = s('svg', { viewBox: `0 0 ${width} ${height}`, width: '100%', role: 'img', class: 'chart',
    'aria-label': `${t('time_series')}: ${data.label_nl && lang === 'nl' ? data.label_nl : data.label_en || ''}` });
  for (let j = 0; j <= 4; j += 1) {
    const v = lo + ((hi - lo) * j) / 4;
    svg.append(s('line', { x1: m.l, x2: width - m.r, y1: y(v), y2: y(v), class: 'grid' }));
    svg.append(s('text', { x: m.l - 6, y: y(v) + 4, 'text-anchor': 'end', class: 'axis' }, fmt(v)));
  }
  const step = Math.max(1, Math.ceil(periods.length / 8));
  periods.forEach((p, i) => {
    if (i % step === 0 || i === periods.length - 1) {
      svg.append(s('text', { x: x(i), y: height - 8, 'text-anchor': 'middle', class: 'axis' }, String(p).slice(0, 10)));
    }
  });
  lines.forEach((sr, k) => {
    let d = '';
    let pen = false;
    sr.values.forEach((v, i) => {
      if (!v || v.value === null) { pen = false; return; }
      d += `${pen ? 'L' : 'M'}${x(i).toFixed(1)},${y(v.value).toFixed(1)}`;
      pen = true;
    });
    const c = COLOURS[k % COLOURS.length];
    svg.append(s('path', { d, fill: 'none', stroke: c, 'stroke-width': k === 0 ? 2.5 : 1.6, 'stroke-dasharray': DASH[k % DASH.length] }));
    sr.values.forEach((v, i) => {
      if (!v || v.value === null) return;
      const dot = s('circle', { cx: x(i), cy: y(v.value), r: k === 0 ? 3.2 : 2.4, fill: c });
      dot.append(s('title', {}, `${sr.name} ${periods[i]}: ${fmt(v.value, data.unit)}`));
      svg.append(dot);
    });
  });
  box.append(svg);
  const legend = el('ul', { class: 'chart-legend' });
  lines.forEach((sr, k) => {
    const sw = s('svg', { width: 22, height: 8 });
    sw.append(s('line', { x1: 0, x2: 22, y1: 4, y2: 4, stroke: COLOURS[k % COLOURS.length], 'stroke-width': 2.5, 'stroke-dasharray': DASH[k % DASH.length] }));
    legend.append(el('li', {}, sw, ` ${sr.name} (${t(sr.column)})`));
  });
  box.append(legend);
}
