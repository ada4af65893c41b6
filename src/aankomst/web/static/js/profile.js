// Area profile: the area against its municipality, region and area type, a time-series chart,
// its typology / difficulty classification with the explanation, and provenance.
import { api, el, fmt, label, lang, t } from './common.js';
import { drawSeries } from './chart.js';

function cell(v, unit) {
  if (v === null || v === undefined) return el('td', { class: 'na', title: t('not_available') }, '–');
  if (v.suppressed) return el('td', { class: 'suppressed', title: t('suppressed') }, '×');
  return el('td', { class: 'num' }, fmt(v.value, unit === '%' ? '%' : ''));
}

/**
 * Render `profile` (GET /api/areas/{code}/profile) into `box`.
 * opts.indicator: id whose time series is drawn; opts.onIndicator(id): when a row is picked.
 */
export async function renderProfile(box, profile, opts = {}) {
  const a = profile.area;
  box.replaceChildren();
  const head = el('header', { class: 'profile-head' },
    el('h2', { id: 'profile-name' }, a.name || a.code),
    el('p', { class: 'muted' }, `${t(`levels.${a.level}`)} · ${a.code}${a.area_km2 ? ` · ${fmt(a.area_km2)} km²` : ''}`));
  if (a.name_fr && a.name_nl && a.name_fr !== a.name_nl) {
    head.append(el('p', { class: 'names' }, `NL: ${a.name_nl} · FR: ${a.name_fr}`));
  }
  if (opts.profileHref) head.append(el('p', {}, el('a', { href: opts.profileHref, id: 'open-profile' }, t('open_profile'))));
  const lang = document.documentElement.lang || 'nl';
  head.append(el('p', {}, el('a', {
    href: `/api/areas/${encodeURIComponent(a.code)}/report.pdf?level=${encodeURIComponent(a.level)}&lang=${encodeURIComponent(lang)}`,
    id: 'report-pdf', download: '' }, t('report_pdf'))));
  box.append(head);

  const cols = profile.columns;
  const table = el('table', { class: 'compare', id: 'compare' });
  table.append(el('thead', {}, el('tr', {}, el('th', {}, t('indicator')),
    ...cols.map((c) => el('th', { scope: 'col', title: c.code }, el('span', { class: 'col-kind' }, t(c.column)), el('br'), c.name || c.code)))));
  const tbody = el('tbody');
  const rows = profile.indicators || [];
  for (const r of rows) {
    const tr = el('tr', { 'data-indicator': r.id, class: r.id === opts.indicator ? 'current' : '' },
      el('th', { scope: 'row' }, el('a', { href: '#', 'data-indicator': r.id }, label(r)),
        el('span', { class: 'muted small' }, ` ${r.unit && r.unit !== '%' ? `(${r.unit}) ` : r.unit === '%' ? '(%) ' : ''}${String(r.period || '').slice(0, 10)}`)),
      ...cols.map((c) => cell(r.values[c.column], r.unit)));
    tbody.append(tr);
  }
  table.append(tbody);
  box.append(el('h3', {}, t('profile')), rows.length ? el('div', { class: 'table-wrap' }, table) : el('p', { class: 'muted' }, t('not_available')));
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

  if ((profile.classification || []).length) {
    const list = el('dl', { class: 'classification', id: 'classification' });
    for (const c of profile.classification) {
      const v = c.values.area;
      const cls = v && ((lang === 'en' ? v.class_label_en : v.class_label_nl) || v.class);
      list.append(el('dt', {}, `${label(c)} (${String(c.period || '').slice(0, 10)})`),
        el('dd', {}, el('strong', {}, v ? (v.suppressed ? t('suppressed') : String(cls ?? v.value ?? '–')) : '–'),
          el('br'), lang === 'en' ? (c.explanation_en || c.explanation) : c.explanation));
    }
    box.append(el('h3', {}, t('classification')), list);
  }
  if ((profile.unavailable || []).length) {
    const det = el('details', { class: 'unavailable' }, el('summary', {}, `${t('indicators_unavailable')} (${profile.unavailable.length})`));
    const ul = el('ul');
    for (const u of profile.unavailable) ul.append(el('li', {}, `${u.indicator}: ${u.reason}`));
    det.append(ul);
    box.append(det);
  }
  const prov = el('ul', { class: 'provenance', id: 'provenance' });
  for (const p of profile.provenance || []) {
    const text = typeof p === 'string' ? p : [p.title || p.source_id, p.publisher, p.reference_date, p.licence].filter(Boolean).join(' · ');
    const li = el('li', {}, text);
    if (p && p.url) li.append(' · ', el('span', { class: 'muted' }, p.url));
    prov.append(li);
  }
  box.append(el('h3', {}, t('provenance')), prov);
}
