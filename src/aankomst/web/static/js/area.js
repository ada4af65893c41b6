// The area profile page: /area/{level}/{code}?lang=nl&ind=ID&compare=CODE2&clevel=LEVEL2
// (stable, bookmarkable; `compare` shows a second area side by side).
import { api, areaName, copyLink, el, loadI18n, readState, t, writeState } from './common.js';
import { renderProfile } from './profile.js';

const DEFAULTS = { lang: 'nl', ind: '', layout: '', compare: '', clevel: '' };
const S = readState(DEFAULTS);
const [, , level, code] = location.pathname.split('/').map(decodeURIComponent);

/** The "compare with…" search: pick an area, the page shows both side by side. */
function compareBox(prof) {
  const input = el('input', { id: 'compare-search', type: 'search', autocomplete: 'off',
    placeholder: t('compare_search'), 'aria-label': t('compare_with') });
  const list = el('ul', { id: 'compare-results', class: 'dropdown', role: 'listbox', hidden: true });
  const box = el('div', { class: 'compare-with', id: 'compare-with' },
    el('label', {}, el('span', {}, `${t('compare_with')} `), input), list);
  if (prof.compare) {
    box.append(el('button', { type: 'button', id: 'compare-clear', onclick: () => { S.compare = ''; S.clevel = ''; writeState(S, DEFAULTS); show(); } },
      `${t('compare_clear')} (${areaName(prof.compare.area)})`));
  }
  let timer = null;
  input.addEventListener('input', () => {
    clearTimeout(timer);
    const q = input.value.trim();
    if (!q) { list.hidden = true; return; }
    timer = setTimeout(async () => {
      try {
        const res = await api('/api/search', { q });
        list.replaceChildren(...res.results.filter((r) => r.code !== prof.area.code).map((r) => el('li', {
          role: 'option', 'data-code': r.code, 'data-level': r.level,
          onclick: () => { S.compare = r.code; S.clevel = r.level; writeState(S, DEFAULTS); show(); },
        }, `${areaName(r)} `, el('span', { class: 'muted small' }, `${t(`levels.${r.level}`)} · ${r.code}`))));
        list.hidden = !list.children.length;
      } catch (e) {
        list.replaceChildren(el('li', { class: 'error' }, e.message));
        list.hidden = false;
      }
    }, 200);
  });
  return box;
}

async function show() {
  const body = document.getElementById('panel-body');
  document.body.dataset.ready = '0';
  try {
    const params = { level, layout: S.layout };
    if (S.compare) Object.assign(params, { compare: S.compare, compare_level: S.clevel });
    const prof = await api(`/api/areas/${encodeURIComponent(code)}/profile`, params);
    document.title = `${areaName(prof.area)}${prof.compare ? ` — ${areaName(prof.compare.area)}` : ''} — Aankomst`;
    await renderProfile(body, prof, { indicator: S.ind, compareBox: compareBox(prof),
      onIndicator: (id) => { S.ind = id; writeState(S, DEFAULTS); show(); } });
    const back = document.getElementById('back');
    back.href = `/?${new URLSearchParams({ lang: S.lang, level, ind: S.ind || '', area: code })}`;
    document.body.dataset.ready = '1';
  } catch (e) {
    body.replaceChildren(el('p', { class: 'error' }, e.message));
    document.body.dataset.ready = 'error';
  }
}

async function main() {
  await loadI18n(S.lang);
  document.getElementById('copy-link').addEventListener('click', (e) => copyLink(e.target));
  for (const b of document.querySelectorAll('[data-lang]')) {
    b.addEventListener('click', async () => { S.lang = b.dataset.lang; writeState(S, DEFAULTS); await loadI18n(S.lang); show(); });
  }
  show();
}
main();
