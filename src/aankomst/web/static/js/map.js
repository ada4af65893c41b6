// The map page: level, indicator (by theme), definition/group, period or change between two
// dates, classification, legend with limits and counts, tooltip, search, area panel, exports.
// Every view is in the query string (stable, shareable URLs). MapLibre GL JS draws the areas
// and the atlas's own outlines and names (labels.js, glyphs shipped in /static/glyphs): no
// base-map tiles unless the server names one (aankomst serve --basemap), nothing from another
// origin by default. Without a view in the address the map opens with the richest view the
// atlas holds (GET /api/landing). Categorical indicators (arrival typology …) draw their named
// classes, with the rule that held in the tooltip and the panel, and their change between two
// periods as transitions (entered / left / stayed) for one class.
import { api, apiUrl, copyLink, el, fmt, label, lang, learnUnits, loadI18n, readState, sourceText, t, unitText, writeState } from './common.js';
import { renderProfile } from './profile.js';
import { GLYPHS, addBasemap, addOrientation, decodeAreas, loadOrientation, setLabelLanguage } from './labels.js';

const DEFAULTS = { lang: 'nl', level: '', ind: '', gscheme: '', group: '', mode: 'map', period: '', from: '', to: '',
  cls: '', k: '', pal: '', band: '0.5', limits: '', area: '', view: '', focus: '' };
const BUCKETS = [7, 10, 13];
const NO_DATA = '#d9d9d9';
const SUPPRESSED = '#ffffff';
const $ = (id) => document.getElementById(id);

const S = readState(DEFAULTS);
const app = { levels: [], catalogue: [], themes: [], schemes: [], palettes: {}, offered: null, layer: null, bucket: null,
  layout: null, values: new Map(), result: null, map: null, hover: null, selected: null, t0: performance.now(), firstRender: null };
window.__aankomst = app;
app.marks = {};
const mark = (name) => { if (!(name in app.marks)) app.marks[name] = Math.round(performance.now()); };

function setStatus(text, isError = false) {
  const s = $('status');
  s.hidden = !text;
  s.textContent = text || '';
  s.classList.toggle('error', isError);
}

function bucketFor(z) {
  let b = BUCKETS[0];
  for (const x of BUCKETS) if (z >= x) b = x;
  return b;
}

function save() { writeState(S, DEFAULTS); }

// ------------------------------------------------------------------ controls
function fillSelect(sel, options, value) {
  sel.replaceChildren();
  for (const o of options) {
    if (o.group) {
      const og = el('optgroup', { label: o.group });
      for (const x of o.options) og.append(el('option', { value: x.value, title: x.title || '' }, x.text));
      sel.append(og);
    } else {
      sel.append(el('option', { value: o.value, title: o.title || '' }, o.text));
    }
  }
  const values = [...sel.querySelectorAll('option')].map((o) => o.value);
  sel.value = values.includes(value) ? value : (values[0] ?? '');
  return sel.value;
}

function indicatorRow(id = S.ind) { return app.catalogue.find((r) => r.id === id); }

function fillLevels() {
  const opts = app.levels.filter((l) => l.with_geometry > 0).map((l) => ({ value: l.level, text: t(`levels.${l.level}`) }));
  const pref = app.levels.find((l) => l.level === 'municipality' && l.with_geometry > 0) ? 'municipality' : (opts[0] && opts[0].value);
  S.level = fillSelect($('level'), opts, S.level || pref);
}

// only the indicators the engine offers at the level (GET /api/offer) are listed
async function loadOffer() {
  if (!S.level) return;
  const res = await api('/api/offer', { level: S.level });
  app.offer = { level: S.level, ids: new Set(res.indicators) };
}

function fillIndicators() {
  const groups = [];
  const offered = (id) => !app.offer || app.offer.level !== S.level || app.offer.ids.has(id);
  for (const th of app.themes) {
    const options = th.indicators.map((id) => indicatorRow(id)).filter((r) => r && (!r.levels.length || r.levels.includes(S.level)) && offered(r.id))
      .map((r) => ({ value: r.id, text: label(r), title: label(r, 'definition') }));
    if (options.length) groups.push({ group: th.theme === 'other' ? t('theme_other') : th.theme, options });
  }
  S.ind = fillSelect($('indicator'), groups, S.ind);
}

// The indicator's declaration (GET /api/indicators) says whether it takes a population group
// and whether it is categorical; the groups and periods on offer come from the API.
const usesGroups = (row) => Boolean(row && row.groups === 'optional');
const needsGroup = (row) => Boolean(row && (row.parameters || []).some((p) => p.name === 'group' && p.required));
const isCategorical = (row = indicatorRow()) => Boolean(row && row.kind === 'categorical');

function drawGroupOptions() {
  const key = `${S.ind}|${S.level}`;
  const offered = app.offered && app.offered.key === key ? app.offered.schemes : null;
  // while the offer loads, keep the group of the URL
  const schemes = offered || (S.gscheme ? [{ scheme: S.gscheme, groups: S.group ? [{ group: S.group }] : [] }] : []);
  // an indicator that needs a group (share of a group …) has no '(default)' choice: a scheme
  // always comes with one of its groups, so the view is always one the atlas offers
  const none = needsGroup(indicatorRow()) && schemes.length ? [] : [{ value: '', text: t('default') }];
  S.gscheme = fillSelect($('gscheme'), [...none, ...schemes.map((g) => ({ value: g.scheme, text: g.scheme }))], S.gscheme);
  const sc = schemes.find((g) => g.scheme === S.gscheme);
  const groups = sc ? sc.groups : [];
  S.group = fillSelect($('group'), [...(sc && needsGroup(indicatorRow()) ? [] : [{ value: '', text: t('default') }]),
    ...groups.map((g) => ({ value: g.group, text: label(g) || g.group }))], S.group);
}

function fillGroups() {
  const row = indicatorRow();
  const box = $('group-controls');
  box.hidden = !usesGroups(row);
  if (box.hidden) { S.gscheme = ''; S.group = ''; return Promise.resolve(); }
  drawGroupOptions();
  const key = `${S.ind}|${S.level}`;
  if (app.offered && app.offered.key === key) return Promise.resolve();
  const load = api('/api/groups', { indicator: S.ind, level: S.level }).then((res) => {
    if (key !== `${S.ind}|${S.level}`) return;
    app.offered = { key, schemes: res.schemes, total: res.total };
    const has = res.schemes.some((g) => g.scheme === S.gscheme && g.groups.some((x) => x.group === S.group));
    if (needsGroup(row) && !has && res.schemes.length) {
      S.gscheme = res.schemes[0].scheme; S.group = res.schemes[0].groups[0].group;
    } else if (!needsGroup(row) && !has) { S.gscheme = ''; S.group = ''; }
    drawGroupOptions();
  }).catch(() => {});
  // an indicator that needs a group, or a group kept from the previous view, waits for the
  // groups on offer (the view is always one the atlas offers); else they load aside
  return needsGroup(row) || S.group ? load : Promise.resolve();
}

async function fillPeriods() {
  const res = await api('/api/periods', { indicator: S.ind, level: S.level, group: S.group, scheme: S.gscheme });
  app.latestLayout = res.latest_layout;
  const ps = res.periods.map((p) => ({ value: p, text: p }));
  // keep the period of the URL or of the previous view when it is on offer
  const has = (p) => res.periods.includes(p);
  S.period = fillSelect($('period'), ps, has(S.period) ? S.period : res.latest);
  S.from = fillSelect($('from'), ps, has(S.from) ? S.from : (ps[0] && ps[0].value));
  S.to = fillSelect($('to'), ps, has(S.to) ? S.to : res.latest);
  if (!ps.length) throw new Error(`${label(indicatorRow())}: ${t('not_available')} (${t(`levels.${S.level}`)})`);
}

function fillClasses() {
  // categorical indicators (typology …) change as transitions of one class (entered / left / stayed)
  const change = S.mode === 'change';
  const cats = (indicatorRow() || {}).categories || [];
  $('focus-box').hidden = !(isCategorical() && change);
  S.focus = fillSelect($('focus'), cats.map((c) => ({ value: c.value, text: label(c) || c.value })), S.focus);
  const opts = app.schemes.map((s) => ({ value: s.id, text: label(s) }));
  if (!S.cls || (change && !app.schemes.find((s) => s.id === S.cls))) S.cls = change ? 'diverging' : 'jenks';
  S.cls = fillSelect($('classes'), opts, S.cls);
  const sc = app.schemes.find((s) => s.id === S.cls) || {};
  const ks = [];
  for (let k = Math.max(2, sc.min_k || 2); k <= Math.min(9, sc.max_k || 9); k += 1) ks.push({ value: String(k), text: String(k) });
  // categorical indicators draw their declared categories and colours: no class controls
  const cat = isCategorical();
  $('classes').closest('label').hidden = cat;
  $('palette').closest('label').hidden = cat;
  $('k-box').hidden = cat || sc.arg !== 'k';
  $('band-box').hidden = cat || sc.arg !== 'band';
  $('limits-box').hidden = cat || sc.arg !== 'breaks';
  S.k = fillSelect($('k'), ks, S.k || String(sc.default_k || 5));
  $('band').value = S.band;
  $('limits').value = S.limits;
  const kind = sc.diverging ? 'diverging' : 'sequential';
  const pals = Object.entries(app.palettes).filter(([, p]) => p.kind === kind)
    .map(([id, p]) => ({ value: id, text: `${label(p)}${p.cb_safe ? ` ✓ ${t('cb_safe')}` : ` — ${t('not_cb_safe')}`}` }));
  const def = sc.default_palette && app.palettes[sc.default_palette] ? sc.default_palette : (pals[0] && pals[0].value);
  S.pal = fillSelect($('palette'), pals, S.pal && app.palettes[S.pal] && app.palettes[S.pal].kind === kind ? S.pal : def);
  $('period-box').hidden = change;
  $('change-box').hidden = !change;
  for (const r of document.querySelectorAll('input[name=mode]')) r.checked = r.value === S.mode;
}

// ------------------------------------------------------------------ map
function makeMap() {
  maplibregl.setWorkerUrl('/static/vendor/maplibre-gl-csp-worker.js');
  let center = [4.45, 51.0]; let zoom = 7.3;
  if (S.view) {
    const [lon, lat, z] = S.view.split(',').map(Number);
    if ([lon, lat, z].every(Number.isFinite)) { center = [lon, lat]; zoom = z; }
  }
  const map = new maplibregl.Map({
    container: 'map', center, zoom, minZoom: 5, maxZoom: 16, attributionControl: false, fadeDuration: 0,
    preserveDrawingBuffer: true, canvasContextAttributes: { preserveDrawingBuffer: true, antialias: false },
    style: { version: 8, glyphs: GLYPHS, sources: {}, layers: [{ id: 'background', type: 'background', paint: { 'background-color': '#eef1f4' } }] },
  });
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-right');
  map.addControl(new maplibregl.ScaleControl({ unit: 'metric' }), 'bottom-right');
  map.addControl(new maplibregl.AttributionControl({ compact: true, customAttribution: 'Aankomst · MapLibre' }), 'bottom-right');
  return map;
}

function addLayers() {
  const map = app.map;
  map.addSource('areas', { type: 'geojson', data: { type: 'FeatureCollection', features: [] }, promoteId: 'code', maxzoom: 14, buffer: 16, tolerance: 0.5 });
  // one fill layer: the class colour comes from the feature state after a change of view, or
  // from the feature's own property set before the geometry was tiled (first render)
  map.addLayer({ id: 'areas-fill', type: 'fill', source: 'areas',
    paint: { 'fill-color': ['coalesce', ['feature-state', 'colour'], ['get', 'colour'], NO_DATA],
      'fill-outline-color': '#ffffff',
      'fill-opacity': ['case', ['boolean', ['feature-state', 'hover'], false], 0.7, 1] } });
  map.addLayer({ id: 'areas-selected', type: 'line', source: 'areas', filter: ['==', ['get', 'code'], ''],
    paint: { 'line-color': '#111111', 'line-width': 2.5 } });
  addOrientation(map, lang);  // municipality outlines and names, names of finer areas
  map.on('mousemove', 'areas-fill', (e) => {
    const f = e.features && e.features[0];
    if (!f) return;
    if (app.hover !== f.id) {
      if (app.hover !== null) map.setFeatureState({ source: 'areas', id: app.hover }, { hover: false });
      app.hover = f.id;
      map.setFeatureState({ source: 'areas', id: f.id }, { hover: true });
    }
    map.getCanvas().style.cursor = 'pointer';
    showTooltip(e.point, f);
  });
  map.on('mouseleave', 'areas-fill', () => {
    if (app.hover !== null) map.setFeatureState({ source: 'areas', id: app.hover }, { hover: false });
    app.hover = null;
    map.getCanvas().style.cursor = '';
    $('tooltip').hidden = true;
  });
  map.on('click', 'areas-fill', (e) => { const f = e.features && e.features[0]; if (f) selectArea(String(f.id)); });
  map.on('moveend', () => {
    const c = map.getCenter();
    S.view = `${c.lng.toFixed(4)},${c.lat.toFixed(4)},${map.getZoom().toFixed(2)}`;
    save();
    const b = bucketFor(map.getZoom());
    if (app.layer && b !== app.bucket) loadGeometry(b).catch((err) => setStatus(err.message, true));
  });
}

function showTooltip(point, f) {
  const tip = $('tooltip');
  const v = app.values.get(String(f.id));
  const unit = app.result ? app.result.unit : '';
  const cls = app.result && app.result.classes;
  let text;
  if (!v) text = t('no_data');
  else if (v.suppressed) text = t('suppressed');
  else if (cls && cls.categories) { const i = classIndex(v, cls); text = i >= 0 ? classLabels(cls)[i] : t('no_data'); }
  else text = fmt(v.value, unit);
  tip.replaceChildren(el('strong', {}, f.properties.name || f.id), el('br'), text);
  if (v && !v.suppressed && cls && cls.scheme === 'transitions') {
    tip.append(el('br'), el('span', { class: 'muted' }, `${S.from}: ${categoryLabel(v.class_from)} → ${S.to}: ${categoryLabel(v.class_to)}`));
  } else if (v && !v.suppressed && v.explanation) {
    tip.append(el('br'), el('span', { class: 'muted explanation' }, v.explanation));
  } else if (v && S.mode === 'change' && !v.suppressed) tip.append(el('br'), el('span', { class: 'muted' }, `${fmt(v.value_from)} → ${fmt(v.value_to)}`));
  tip.hidden = false;
  tip.style.left = `${point.x + 14}px`;
  tip.style.top = `${point.y + 14}px`;
}

async function fetchGeometry(bucket, layout = app.layout) {
  const fc = decodeAreas(await api('/api/areas', { level: S.level, zoom: bucket, layout, format: 'compact' }));
  mark('geometry');
  return fc;
}

/** Draw a FeatureCollection with the current colours baked into its properties (one tiling pass). */
function drawGeometry(fc, bucket) {
  app.layer = fc;
  app.bucket = bucket;
  app.layout = fc.aankomst.layout;
  for (const f of fc.features) f.properties.colour = colourOf(app.values.get(String(f.id)));
  app.map.removeFeatureState({ source: 'areas' });
  app.map.getSource('areas').setData(fc);
  app.map.setFilter('areas-selected', ['==', ['get', 'code'], S.area || '']);
}

async function loadGeometry(bucket, layout = app.layout) {
  const fc = await fetchGeometry(bucket, layout);
  drawGeometry(fc, bucket);
  return fc;
}

function classOf(v, edges) {
  for (let i = 0; i < edges.length - 1; i += 1) {
    const up = edges[i + 1];
    if (up === null || v <= up + 1e-12) return i;
  }
  return edges.length - 2;
}

/** The class of an area's row: its category (categorical indicators) or its value's class; -1: none. */
function classIndex(v, cls) {
  if (!v || v.suppressed || !cls || !cls.k) return -1;
  if (cls.categories) return cls.categories.indexOf(v.class === null || v.class === undefined ? '' : String(v.class));
  return v.value === null || v.value === undefined ? -1 : classOf(v.value, cls.edges);
}

/** Class labels in the interface language (Dutch when a language has none). */
function classLabels(cls) { return cls[`labels_${lang}`] || cls.labels_nl || []; }

/** The label of a category of the current (categorical) indicator. */
function categoryLabel(value) {
  const c = ((indicatorRow() || {}).categories || []).find((x) => x.value === value);
  return c ? (label(c) || value) : (value || t('no_data'));
}

function colourOf(v) {
  const cls = app.result && app.result.classes;
  if (v && v.suppressed) return SUPPRESSED;
  const i = classIndex(v, cls);
  return i >= 0 ? cls.colours[i] : NO_DATA;
}

/** Recolour the drawn areas after a change of values (feature state: no re-tiling). */
function applyColours() {
  const map = app.map;
  if (!app.layer || !map.getSource('areas')) return;
  for (const f of app.layer.features) {
    map.setFeatureState({ source: 'areas', id: f.id }, { colour: colourOf(app.values.get(String(f.id))) });
  }
}

// ------------------------------------------------------------------ values, legend, about
async function loadValues() {
  const common = { indicator: S.ind, level: S.level, group: S.group, scheme: S.gscheme, classes: S.cls, palette: S.pal, form: 'columns' };
  if ($('k-box').hidden === false) common.k = S.k;
  if ($('band-box').hidden === false) common.band = S.band;
  if ($('limits-box').hidden === false) common.limits = S.limits;
  const res = S.mode === 'change'
    ? await api('/api/change', { ...common, from: S.from, to: S.to, focus: isCategorical() ? S.focus : '' })
    : await api('/api/values', { ...common, period: S.period });
  mark('values');
  const cols = res.data.columns;
  app.values = new Map(res.data.data.map((row) => {
    const r = {};
    cols.forEach((c, i) => { r[c] = row[i]; });
    return [String(r.area_code), r];
  }));
  app.result = { ...res, unit: S.mode === 'change' ? res.meta.change.unit : (isCategorical() ? '' : (res.meta.unit || '')) };
  return res;
}

/** After new values: draw the geometry of their layout (colours baked in) or recolour. */
async function showValues(res, fresh, prefetched) {
  const layout = res.layout || app.layout;
  if (fresh || !app.layer || (res.layout && res.layout !== app.layout)) {
    let fc = prefetched ? await prefetched.catch(() => null) : null;
    if (!fc || fc.aankomst.layout !== layout) fc = await fetchGeometry(bucketFor(app.map.getZoom()), layout);
    drawGeometry(fc, bucketFor(app.map.getZoom()));
  } else {
    applyColours();
  }
  drawLegend();
  drawAbout();
  updateExports();
}

function drawLegend() {
  const box = $('legend');
  const r = app.result;
  box.replaceChildren();
  if (!r) return;
  const cls = r.classes;
  box.append(el('h2', {}, r.unit ? `${t('legend')} (${unitText(r.unit)})` : t('legend')));
  const ul = el('ul', { id: 'legend-classes' });
  const labels = classLabels(cls);
  // counts of the drawn areas (the API's counts include areas without geometry)
  const counts = new Array(cls.k || 0).fill(0);
  let nSupp = 0;
  for (const f of (app.layer ? app.layer.features : [])) {
    const v = app.values.get(String(f.id));
    const i = classIndex(v, cls);
    if (v && v.suppressed) nSupp += 1;
    else if (i >= 0) counts[i] += 1;
  }
  app.legendCounts = counts;
  for (let i = 0; i < (cls.k || 0); i += 1) {
    const sw = el('span', { class: 'swatch' }); sw.style.background = cls.colours[i];
    ul.append(el('li', { 'data-class': String(i) }, sw, el('span', { class: 'lim' }, labels[i] || ''), el('span', { class: 'cnt' }, `${counts[i]}`)));
  }
  const nMissing = app.layer ? app.layer.features.filter((f) => { const v = app.values.get(String(f.id)); return !v || (!v.suppressed && classIndex(v, cls) < 0); }).length : 0;
  const s1 = el('span', { class: 'swatch suppressed' }); const s2 = el('span', { class: 'swatch' }); s2.style.background = NO_DATA;
  ul.append(el('li', { class: 'special' }, s1, el('span', { class: 'lim' }, t('suppressed')), el('span', { class: 'cnt' }, `${nSupp}`)));
  ul.append(el('li', { class: 'special' }, s2, el('span', { class: 'lim' }, t('no_data')), el('span', { class: 'cnt' }, `${nMissing}`)));
  box.append(ul);
  const method = cls[`method_${lang}`] || cls.method_nl;
  box.append(el('p', { class: 'small muted' }, `${t('method')}: ${method || cls.scheme}${cls.cb_safe === false ? ` (${t('not_cb_safe')})` : ''}`));
}

function drawAbout() {
  const r = app.result;
  const m = r.meta || {};
  let title = S.mode === 'change' ? `${t('change_of')} ${label(m).toLowerCase()}` : label(m);
  if (S.mode === 'change' && r.classes && r.classes.scheme === 'transitions') title += ` — ${categoryLabel(r.classes.focus)}`;
  const grp = S.group ? ` — ${S.gscheme ? `${S.gscheme}: ` : ''}${S.group}` : '';
  $('map-title').textContent = `${title}${grp} · ${t(`levels.${S.level}`)}`;
  $('map-definition').textContent = label(m, 'definition');
  $('map-unit').textContent = unitText(r.unit) || '–';
  $('map-period').textContent = S.mode === 'change' ? `${r.from} → ${r.to}` : (m.reference_period || m.period || r.period || '');
  $('map-source').textContent = sourceText(m) || m.source || '–';
  document.title = `${title} — Aankomst`;
}

function viewParams() {
  const p = { indicator: S.ind, level: S.level, group: S.group, scheme: S.gscheme, lang, layout: app.layout };
  if (S.mode === 'change') { p.from = S.from; p.to = S.to; if (isCategorical()) p.focus = S.focus; } else p.period = S.period;
  return p;
}

function updateExports() {
  $('export-csv').href = apiUrl('/api/export', { ...viewParams(), format: 'csv' });
  $('export-geojson').href = apiUrl('/api/export', { ...viewParams(), format: 'geojson' });
}

function exportPng() {
  const src = app.map.getCanvas();
  const legend = app.result ? app.result.classes : null;
  const w = src.width; const scale = window.devicePixelRatio || 1;
  const headH = 70 * scale; const footH = 28 * scale;
  const legW = 230 * scale;
  const c = document.createElement('canvas');
  c.width = w + legW; c.height = src.height + headH + footH;
  const g = c.getContext('2d');
  g.fillStyle = '#ffffff'; g.fillRect(0, 0, c.width, c.height);
  g.drawImage(src, 0, headH);
  g.fillStyle = '#111'; g.font = `bold ${18 * scale}px sans-serif`;
  g.fillText($('map-title').textContent, 12 * scale, 26 * scale);
  g.font = `${12 * scale}px sans-serif`; g.fillStyle = '#333';
  g.fillText($('map-definition').textContent.slice(0, 160), 12 * scale, 46 * scale);
  g.fillText(`${t('reference')}: ${$('map-period').textContent} · ${t('unit')}: ${$('map-unit').textContent}`, 12 * scale, 62 * scale);
  g.fillText(`${t('source')}: ${$('map-source').textContent}`.slice(0, 200), 12 * scale, c.height - 10 * scale);
  if (legend) {
    let y = headH + 20 * scale;
    const labels = classLabels(legend);
    g.font = `bold ${13 * scale}px sans-serif`; g.fillStyle = '#111';
    g.fillText(app.result.unit ? `${t('legend')} (${unitText(app.result.unit)})` : t('legend'), w + 12 * scale, y); y += 10 * scale;
    g.font = `${12 * scale}px sans-serif`;
    const row = (colour, text, count) => {
      g.fillStyle = colour; g.fillRect(w + 12 * scale, y, 18 * scale, 14 * scale);
      g.strokeStyle = '#888'; g.strokeRect(w + 12 * scale, y, 18 * scale, 14 * scale);
      g.fillStyle = '#111'; g.fillText(`${text}  (${count})`, w + 36 * scale, y + 12 * scale); y += 20 * scale;
    };
    const counts = app.legendCounts || legend.counts;
    for (let i = 0; i < legend.k; i += 1) row(legend.colours[i], labels[i] || '', counts[i]);
    const special = [...$('legend').querySelectorAll('li.special .cnt')].map((e) => e.textContent);
    row(SUPPRESSED, t('suppressed'), special[0] || '0');
    row(NO_DATA, t('no_data'), special[1] || '0');
  }
  c.toBlob((blob) => {
    const a = el('a', { href: URL.createObjectURL(blob), download: `aankomst_${S.ind}_${S.level}_${S.mode === 'change' ? `${S.from}_${S.to}` : S.period}.png` });
    document.body.append(a); a.click(); a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 5000);
  }, 'image/png');
}

// ------------------------------------------------------------------ area panel, search
async function selectArea(code) {
  S.area = code; app.selected = code; save();
  if (app.map.getLayer('areas-selected')) app.map.setFilter('areas-selected', ['==', ['get', 'code'], code]);
  const panel = $('panel'); const body = $('panel-body');
  panel.hidden = false;
  body.replaceChildren(el('p', { class: 'muted' }, t('loading')));
  try {
    const prof = await api(`/api/areas/${encodeURIComponent(code)}/profile`, { level: S.level, layout: app.layout });
    if (code !== app.selected) return;
    const href = `/area/${encodeURIComponent(S.level)}/${encodeURIComponent(code)}?${new URLSearchParams({ lang, ind: S.ind, layout: app.layout || '' })}`;
    await renderProfile(body, prof, { indicator: S.ind, profileHref: href,
      onIndicator: (id) => { if (indicatorRow(id)) { S.ind = id; $('indicator').value = id; refresh('indicator'); } } });
    const box = classBox(code);
    if (box) body.prepend(box);
  } catch (e) {
    body.replaceChildren(el('p', { class: 'error' }, e.message));
  }
}

/** The area's class on a categorical map and why (the rule that held, with its values). */
function classBox(code) {
  const v = app.values.get(String(code));
  const cls = app.result && app.result.classes;
  if (!v || !cls || !cls.categories) return null;
  const i = classIndex(v, cls);
  const box = el('section', { id: 'area-class', class: 'area-class' });
  const sw = el('span', { class: 'swatch' });
  if (i >= 0) sw.style.background = cls.colours[i];
  box.append(el('h3', {}, label(app.result.meta || {}) || t('class')));
  box.append(el('p', { class: 'class-name' }, sw, ' ', v.suppressed ? t('suppressed') : (i >= 0 ? classLabels(cls)[i] : t('no_data'))));
  if (cls.scheme === 'transitions' && !v.suppressed) {
    box.append(el('p', { class: 'small' }, `${S.from}: ${categoryLabel(v.class_from)} → ${S.to}: ${categoryLabel(v.class_to)}`));
  }
  if (v.explanation) box.append(el('p', { class: 'small explanation' }, el('b', {}, `${t('explanation')}: `), v.explanation));
  return box;
}

function closePanel() {
  $('panel').hidden = true;
  if (app.map.getLayer('areas-selected')) app.map.setFilter('areas-selected', ['==', ['get', 'code'], '']);
  app.selected = null; S.area = ''; save();
}

function zoomToFeature(code) {
  const f = app.layer && app.layer.features.find((x) => String(x.id) === code);
  if (!f) return;
  let w = 180; let s = 90; let e = -180; let n = -90;
  const walk = (c) => { if (typeof c[0] === 'number') { w = Math.min(w, c[0]); e = Math.max(e, c[0]); s = Math.min(s, c[1]); n = Math.max(n, c[1]); } else c.forEach(walk); };
  walk(f.geometry.coordinates);
  app.map.fitBounds([[w, s], [e, n]], { padding: 60, maxZoom: 13, duration: 600 });
}

function setupSearch() {
  const input = $('search'); const list = $('search-results');
  let timer = null;
  input.addEventListener('input', () => {
    clearTimeout(timer);
    const q = input.value.trim();
    if (q.length < 2) { list.hidden = true; return; }
    timer = setTimeout(async () => {
      try {
        const res = await api('/api/search', { q });
        list.replaceChildren();
        const withGeom = new Set(app.levels.filter((l) => l.with_geometry > 0).map((l) => l.level));
        for (const r of res.results.filter((x) => withGeom.has(x.level))) {
          const li = el('li', { role: 'option', tabindex: '0', 'data-code': r.code, 'data-level': r.level },
            r.name, el('span', { class: 'muted small' }, ` · ${t(`levels.${r.level}`)}`));
          li.addEventListener('click', () => pickResult(r));
          li.addEventListener('keydown', (ev) => { if (ev.key === 'Enter') pickResult(r); });
          list.append(li);
        }
        list.hidden = list.children.length === 0;
      } catch (e) { list.hidden = true; }
    }, 200);
  });
}

async function pickResult(r) {
  $('search-results').hidden = true;
  $('search').value = r.name;
  if (r.level !== S.level) { S.level = r.level; $('level').value = r.level; await refresh('level'); }
  zoomToFeature(r.code);
  await selectArea(r.code);
}

// ------------------------------------------------------------------ orchestration
let seq = 0;
async function refresh(what) {
  const my = ++seq;
  setStatus(t('loading'));
  document.body.dataset.ready = '0';
  try {
    if (what === 'level') { await loadOffer(); if (my !== seq) return; fillIndicators(); }
    if (what === 'level' || what === 'indicator') { await fillGroups(); if (my !== seq) return; }
    if (what === 'level') app.layout = null;
    if (['init', 'level', 'indicator', 'group'].includes(what)) await fillPeriods();
    if (['init', 'mode', 'classes', 'indicator', 'level'].includes(what)) fillClasses();
    save();
    const fresh = what === 'init' || what === 'level';
    // geometry (in the layout the latest values come in) loads in parallel with the values
    const geom = fresh ? fetchGeometry(bucketFor(app.map.getZoom()), app.latestLayout) : null;
    const res = await loadValues();
    if (my !== seq) return;
    await showValues(res, fresh, geom);
    if (my !== seq) return;
    // names and outlines load beside the drawn values; the page is ready once they are there too
    const orient = fresh ? loadOrientation(app.map, S.level, app.layout).catch(() => {}) : null;
    if (!S.view && (what === 'init' || what === 'level') && app.layer.bbox) {
      const b = app.layer.bbox;
      app.map.fitBounds([[b[0], b[1]], [b[2], b[3]]], { padding: 20, duration: 0 });
    }
    setStatus('');
    if (orient) { await orient; if (my !== seq) return; }
    app.map.once('idle', () => {
      if (my !== seq) return;
      if (app.firstRender === null) { app.firstRender = performance.now(); mark('idle'); }
      document.body.dataset.ready = '1';
    });
    app.map.triggerRepaint();
    if (S.area && what === 'init') selectArea(S.area);
    else if (S.area && !$('panel').hidden && what !== 'init') selectArea(S.area);
  } catch (e) {
    if (my !== seq) return;
    app.values = new Map(); app.result = null; applyColours(); $('legend').replaceChildren();
    setStatus(e.message, true);
    document.body.dataset.ready = 'error';
  }
}

function bind() {
  $('level').addEventListener('change', (e) => { S.level = e.target.value; S.area = ''; $('panel').hidden = true; refresh('level'); });
  $('indicator').addEventListener('change', (e) => { S.ind = e.target.value; refresh('indicator'); });
  $('gscheme').addEventListener('change', (e) => { S.gscheme = e.target.value; S.group = ''; drawGroupOptions(); refresh('group'); });
  $('group').addEventListener('change', (e) => { S.group = e.target.value; refresh('group'); });
  $('period').addEventListener('change', (e) => { S.period = e.target.value; refresh('period'); });
  $('from').addEventListener('change', (e) => { S.from = e.target.value; refresh('period'); });
  $('to').addEventListener('change', (e) => { S.to = e.target.value; refresh('period'); });
  for (const r of document.querySelectorAll('input[name=mode]')) {
    r.addEventListener('change', (e) => { S.mode = e.target.value; S.cls = ''; S.pal = ''; S.k = ''; refresh('mode'); });
  }
  $('classes').addEventListener('change', (e) => { S.cls = e.target.value; S.pal = ''; S.k = ''; refresh('classes'); });
  $('focus').addEventListener('change', (e) => { S.focus = e.target.value; refresh('k'); });
  $('k').addEventListener('change', (e) => { S.k = e.target.value; refresh('k'); });
  $('band').addEventListener('change', (e) => { S.band = e.target.value; refresh('k'); });
  $('limits').addEventListener('change', (e) => { S.limits = e.target.value.replace(/\s+/g, ''); refresh('k'); });
  $('palette').addEventListener('change', (e) => { S.pal = e.target.value; refresh('k'); });
  $('export-png').addEventListener('click', exportPng);
  $('panel-close').addEventListener('click', closePanel);
  $('copy-link').addEventListener('click', (e) => copyLink(e.target));
  for (const b of document.querySelectorAll('[data-lang]')) {
    b.addEventListener('click', async () => {
      S.lang = b.dataset.lang; await loadI18n(S.lang); save();
      fillLevels(); fillIndicators(); fillGroups(); fillClasses(); setLabelLanguage(app.map, lang);
      if (app.result) { drawLegend(); drawAbout(); updateExports(); }
      if (S.area && !$('panel').hidden) selectArea(S.area);
    });
  }
}

async function main() {
  mark('module');
  app.map = makeMap();  // the map (and its worker) starts while the strings and catalogue load
  const loaded = new Promise((resolve) => app.map.on('load', resolve));
  try {
    const [levels, cat, classes, health] = await Promise.all([
      api('/api/levels'), api('/api/indicators'), api('/api/classes'), api('/healthz'),
      loadI18n(S.lang)]);
    app.levels = levels; app.catalogue = cat.indicators; app.themes = cat.themes; learnUnits(cat.indicators);
    app.schemes = classes.schemes; app.palettes = classes.palettes;
    mark('catalogue');
    if (!S.ind && !S.level) {  // no view in the address: the richest view of the atlas
      app.landing = await api('/api/landing');
      const v = app.landing;
      if (v.indicator) Object.assign(S, { ind: v.indicator, level: v.level, period: v.period || '', group: v.group || '', gscheme: v.scheme || '' });
    }
    if (health.registry_path) { const a = $('registry-link'); a.href = health.registry_path; a.hidden = false; }
  } catch (e) {
    setStatus(e.message, true);
    document.body.dataset.ready = 'error';
    return;
  }
  fillLevels();
  try { await loadOffer(); } catch (e) { app.offer = null; }
  fillIndicators(); await fillGroups();
  bind();
  setupSearch();
  await loaded;
  mark('map_load');
  app.basemap = await addBasemap(app.map);
  addLayers();
  if (app.basemap && app.basemap.kind !== 'none') app.map.setPaintProperty('areas-fill', 'fill-opacity', ['case', ['boolean', ['feature-state', 'hover'], false], 0.55, 0.75]);
  refresh('init');
}

main();
