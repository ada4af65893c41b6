// Shared helpers of the Aankomst web atlas: API calls, language, number formatting, URL state.
// No inline scripts anywhere (Content-Security-Policy: script-src 'self').

export class ApiError extends Error {
  constructor(status, body) {
    const e = (body && body.error) || {};
    super(e.message || `HTTP ${status}`);
    this.status = status;
    this.code = e.code || 'http_error';
    this.detail = e.detail;
  }
}

const cache = new Map();

/** GET a JSON document from the API; errors become ApiError with the server's message. */
export async function api(path, params = {}, { memo = true } = {}) {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '') qs.set(k, v);
  }
  const url = path + (qs.toString() ? `?${qs}` : '');
  if (memo && cache.has(url)) return cache.get(url);
  // Accept-Language: the API's error messages come in the interface language
  const p = fetch(url, { headers: { Accept: 'application/json', 'Accept-Language': lang } }).then(async (r) => {
    let body = null;
    try { body = await r.json(); } catch (e) { body = null; }
    if (!r.ok) throw new ApiError(r.status, body);
    return body;
  });
  if (memo) {
    cache.set(url, p);
    p.catch(() => cache.delete(url));
  }
  return p;
}

export function apiUrl(path, params = {}) {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '') qs.set(k, v);
  }
  return path + (qs.toString() ? `?${qs}` : '');
}

let strings = null;
export let lang = 'nl';

/** Interface languages (the keys of i18n.json, Dutch first) and their number formats. */
export const LANGS = ['nl', 'fr', 'en'];
const LOCALES = { nl: 'nl-BE', fr: 'fr-BE', en: 'en-GB' };

export async function loadI18n(l) {
  if (!strings) strings = await fetch('/static/i18n.json').then((r) => r.json());
  lang = strings[l] ? l : 'nl';
  document.documentElement.lang = lang;
  for (const el of document.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of document.querySelectorAll('[data-i18n-placeholder]')) el.placeholder = t(el.dataset.i18nPlaceholder);
  for (const el of document.querySelectorAll('[data-i18n-title]')) el.title = t(el.dataset.i18nTitle);
  for (const b of document.querySelectorAll('[data-lang]')) b.classList.toggle('active', b.dataset.lang === lang);
  return lang;
}

/**
 * Name of an area in the interface language: for bilingual areas (Brussels) the name in that
 * language first ("Bruxelles / Brussel" in French, "Brussel / Bruxelles" in Dutch).
 */
export function areaName(a) {
  if (!a) return '';
  const nl = a.name_nl || '';
  const fr = a.name_fr || '';
  if (nl && fr && nl !== fr) return lang === 'fr' ? `${fr} / ${nl}` : `${nl} / ${fr}`;
  return (lang === 'fr' ? fr || nl : nl || fr) || a.name || a.code || '';
}

/** Translate a key (dotted keys reach nested tables, e.g. "levels.municipality"). */
export function t(key) {
  const table = (strings && strings[lang]) || {};
  let v = table;
  for (const part of key.split('.')) v = v && v[part];
  return typeof v === 'string' ? v : key.split('.').pop();
}

/** Label of a catalogue row / meta in the interface language. */
export function label(row, field = 'label') {
  if (!row) return '';
  return row[`${field}_${lang}`] || row[`${field}_nl`] || row[`${field}_en`] || row.id || '';
}

export function fmt(v, unit) {
  if (v === null || v === undefined || Number.isNaN(v)) return '–';
  if (typeof v !== 'number') return String(v);
  const abs = Math.abs(v);
  const digits = abs >= 1000 ? 0 : abs >= 100 ? 1 : abs >= 10 ? 1 : 2;
  const s = new Intl.NumberFormat(LOCALES[lang] || 'nl-BE', { maximumFractionDigits: digits }).format(v);
  return unit ? `${s} ${unitText(unit)}` : s;
}

const unitLabels = {};

/** Learn the unit labels (unit_nl/fr/en) of catalogue rows (GET /api/indicators). */
export function learnUnits(rows) {
  for (const r of rows || []) if (r && r.unit && r.unit_nl) unitLabels[r.unit] = r;
}

/** A unit code in the interface language (labels from the catalogue, else the code). */
export function unitText(unit) {
  if (!unit) return '';
  if (unit === 'percentage points') return { nl: 'procentpunt', fr: 'points de pourcentage' }[lang] || 'pp';
  const r = unitLabels[unit];
  return (r && (r[`unit_${lang}`] || r.unit_en)) || unit;
}

export function sourceText(meta) {
  if (!meta) return '';
  const src = meta.sources || meta.provenance || meta.source;
  if (!src) return '';
  const one = (s) => {
    if (typeof s === 'string') return s;
    return [s.title || s.source_id, s.publisher, s.reference_date].filter(Boolean).join(', ');
  };
  return Array.isArray(src) ? [...new Set(src.map(one))].join('; ') : one(src);
}

/** Read the view state from the query string. */
export function readState(defaults) {
  const q = new URLSearchParams(location.search);
  const out = { ...defaults };
  for (const k of Object.keys(defaults)) if (q.has(k)) out[k] = q.get(k);
  return out;
}

/** Write the view state into the query string (stable, shareable URL). */
export function writeState(state, defaults) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(state)) {
    if (v !== undefined && v !== null && v !== '' && v !== defaults[k]) q.set(k, v);
  }
  const url = `${location.pathname}${q.toString() ? `?${q}` : ''}`;
  if (url !== location.pathname + location.search) history.replaceState(null, '', url);
}

export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined) e.append(c instanceof Node ? c : String(c));
  return e;
}

export function copyLink(button) {
  const done = () => { const old = button.textContent; button.textContent = t('copied'); setTimeout(() => { button.textContent = old; }, 1500); };
  if (navigator.clipboard) navigator.clipboard.writeText(location.href).then(done, done); else done();
}
