// Area profile: the area against its municipality, region and area type (or two areas side by
// side with their comparison columns), a time-series chart, its typology / difficulty
// classification with the explanation, and provenance.
import { api, areaName, el, fmt, label, lang, t } from './common.js';
import { drawSeries } from './chart.js';

function cell(v, unit, note) {
  if (v === null || v === undefined) return el('td', { class: 'na', title: t('not_available') }, '–');
  if (v.suppressed) return el('td', { class: 'suppressed', title: t('suppressed') }, '×');
  const td = el('td', { class: 'num' }, fmt(v.value, unit === '%' ? '%' : ''));
  if (note) td.append(el('sup', { class: 'other-period', title: note }, '*'));
  return td;
}

const period = (r) => String((r && r.period) || '').slice(0, 10);

/** "2019 †" with the reason in the title when the row is from an earlier period than the newest. */
function periodNote(r) {
  return r && r.earlier ? `${t('earlier_period')} ${String(r.latest_period || '').slice(0, 10)}` : '';
}

function classLabel(v) {
  if (!v) return '–';
  if (v.suppressed) return t('suppressed');
  return String(v[`class_label_${lang}`] || v.class_label_nl || v.class || v.value || '–');
}

function explanation(c) {
  if (lang === 'en') return c.explanation_en || c.explanation;
  if (lang === 'fr') return c.explanation_fr || c.explanation;
  return c.explanation;
}

/** The columns of a profile table: one profile, or two side by side (shared columns once). */
function tableColumns(profile) {
  const a = profile.columns.map((c) => ({ ...c, from: profile }));
  if (!profile.compare) return a;
  const b = profile.compare.columns.map((c) => ({ ...c, from: profile.compare }));
  const key = (c) => `${c.level}|${c.layout}|${c.code}`;
  const seen = new Set([key(a[0]), key(b[0])]);
  const out = [a[0], b[0]];
  for (const c of [...a.slice(1), ...b.slice(1)]) {
    if (seen.has(key(c))) continue;
    seen.add(key(c));
    out.push(c);
  }
  return out;
}

function rowsOf(profile, field) {
  const out = new Map();
  for (const p of [profile, profile.compare].filter(Boolean)) {
    for (const r of p[field] || []) if (!out.has(r.id)) out.set(r.id, r);
  }
  return [...out.values()];
}

/** Value of row `head` in column `col` and, when that column's area uses another period than
 * the row says (two areas side by side), a note with its period. */
function valueOf(col, head) {
  const r = [...(col.from.indicators || []), ...(col.from.classification || [])].find((x) => x.id === head.id);
  if (!r) return [null, ''];
  const note = r.period !== head.period ? `${t('period')}: ${period(r)}${r.earlier ? ' †' : ''}` : '';
  return [r.values[col.column], note];
}

/**
 * Render `profile` (GET /api/areas/{code}/profile, optionally with `compare`) into `box`.
 * opts.indicator: id whose time series is drawn; opts.onIndicator(id): when a row is picked;
 * opts.profileHref: link to the full profile page; opts.compareBox: element for the compare search.
 */
export async function renderProfile(box, profile, opts = {}) {
  const a = profile.area;
  box.replaceChildren();
  const title = profile.compare ? `${areaName(a)} — ${areaName(profile.compare.area)}` : areaName(a);
  const head = el('header', { class: 'profile-head' },
    el('h2', { id: 'profile-name' }, title || a.code),
    el('p', { class: 'muted' }, `${t(`levels.${a.level}`)} · ${a.code}${a.area_km2 ? ` · ${fmt(a.area_km2)} km²` : ''}`
      + (profile.compare ? ` — ${t(`levels.${profile.compare.area.level}`)} · ${profile.compare.area.code}` : '')));
  if (!profile.compare && a.name_fr && a.name_nl && a.name_fr !== a.name_nl) {
    head.append(el('p', { class: 'names' }, `NL: ${a.name_nl} · FR: ${a.name_fr}`));
  }
  if (opts.profileHref) head.append(el('p', {}, el('a', { href: opts.profileHref, id: 'open-profile' }, t('open_profile'))));
  head.append(el('p', {}, el('a', {
    href: `/api/areas/${encodeURIComponent(a.code)}/report.pdf?level=${encodeURIComponent(a.level)}&lang=${encodeURIComponent(lang)}`,
    id: 'report-pdf', download: '' }, t('report_pdf'))));
  if (opts.compareBox) head.append(opts.compareBox);
  box.append(head);

  const cols = tableColumns(profile);
  const table = el('table', { class: profile.compare ? 'compare two' : 'compare', id: 'compare' });
  table.append(el('thead', {}, el('tr', {}, el('th', {}, t('indicator')),
    ...cols.map((c) => el('th', { scope: 'col', title: c.code, 'data-column': c.column, 'data-code': c.code },
      el('span', { class: 'col-kind' }, t(c.column)), el('br'), areaName(c) || c.code)))));
  const tbody = el('tbody');
  const rows = rowsOf(profile, 'indicators');
  for (const r of rows) {
    const note = periodNote(r);
    const tr = el('tr', { 'data-indicator': r.id, class: r.id === opts.indicator ? 'current' : '' },
      el('th', { scope: 'row' }, el('a', { href: '#', 'data-indicator': r.id }, label(r)),
        el('span', { class: 'muted small' }, ` ${r.unit && r.unit !== '%' ? `(${r[`unit_${lang}`] || r.unit}) ` : r.unit === '%' ? '(%) ' : ''}`,
          el('span', { class: 'period', title: note }, period(r) + (note ? ' †' : '')))),
      ...cols.map((c) => { const [v, n] = valueOf(c, r); return cell(v, r.unit, n); }));
    tbody.append(tr);
  }
  table.append(tbody);
  box.append(el('h3', {}, t('profile')), rows.length ? el('div', { class: 'table-wrap' }, table) : el('p', { class: 'muted' }, t('not_available')));
  if (rows.some((r) => r.earlier) || (profile.compare && (profile.compare.indicators || []).some((r) => r.earlier))) {
    box.append(el('p', { class: 'muted small', id: 'earlier-note' }, `† ${t('earlier_note')}`));
  }
  table.addEventListener('click', (ev) => {
    const a2 = ev.target.closest('a[data-indicator]');
    if (!a2) return;
    ev.preventDefault();
    if (opts.onIndicator) opts.onIndicator(a2.dataset.indicator);
  });

  const chartBox = el('div', { id: 'series-chart', class: 'series' });
  const current = opts.indicator && rows.find((r) => r.id === opts.indicator) ? opts.indicator : (rows[0] && rows[0].id);
  const currentRow = rows.find((r) => r.id === current);
  box.append(el('h3', {}, `${t('time_series')}${currentRow ? ` — ${label(currentRow)}` : ''}`), chartBox);
  if (current) {
    chartBox.append(el('p', { class: 'muted' }, t('loading')));
    try {
      const series = await api(`/api/areas/${encodeURIComponent(a.code)}/series`, { indicator: current, level: a.level, layout: a.layout });
      drawSeries(chartBox, series);
    } catch (e) {
      chartBox.replaceChildren(el('p', { class: 'muted' }, e.message));
    }
  } else {
    chartBox.append(el('p', { class: 'muted' }, t('not_available')));
  }

  const profiles = [profile, profile.compare].filter(Boolean);
  if (profiles.some((p) => (p.classification || []).length)) {
    const list = el('dl', { class: 'classification', id: 'classification' });
    for (const p of profiles) {
      for (const c of p.classification || []) {
        const v = c.values.area;
        list.append(el('dt', {}, `${profile.compare ? `${areaName(p.area)}: ` : ''}${label(c)} (${period(c)})`),
          el('dd', {}, el('strong', {}, classLabel(v)), el('br'), explanation(c)));
      }
    }
    box.append(el('h3', {}, t('classification')), list);
  }
  const unavailable = profiles.flatMap((p) => (p.unavailable || []).map((u) => ({ ...u, area: p.area })));
  if (unavailable.length) {
    const det = el('details', { class: 'unavailable' }, el('summary', {}, `${t('indicators_unavailable')} (${unavailable.length})`));
    const ul = el('ul');
    for (const u of unavailable) ul.append(el('li', {}, `${profile.compare ? `${areaName(u.area)} · ` : ''}${u.indicator}: ${u.reason}`));
    det.append(ul);
    box.append(det);
  }
  const prov = el('ul', { class: 'provenance', id: 'provenance' });
  const seen = new Set();
  for (const p of profiles.flatMap((x) => x.provenance || [])) {
    const text = typeof p === 'string' ? p : [p.title || p.source_id, p.publisher, p.reference_date, p.licence].filter(Boolean).join(' · ');
    if (seen.has(text)) continue;
    seen.add(text);
    const li = el('li', {}, text);
    if (p && p.url) li.append(' · ', el('span', { class: 'muted' }, p.url));
    prov.append(li);
  }
  box.append(el('h3', {}, t('provenance')), prov);
}
