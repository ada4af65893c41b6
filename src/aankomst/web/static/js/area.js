// The area profile page: /area/{level}/{code}?lang=nl&ind=ID (stable, bookmarkable).
import { api, copyLink, el, loadI18n, readState, writeState } from './common.js';
import { renderProfile } from './profile.js';

const DEFAULTS = { lang: 'nl', ind: '', layout: '' };
const S = readState(DEFAULTS);
const [, , level, code] = location.pathname.split('/').map(decodeURIComponent);

async function show() {
  const body = document.getElementById('panel-body');
  document.body.dataset.ready = '0';
  try {
    const prof = await api(`/api/areas/${encodeURIComponent(code)}/profile`, { level, layout: S.layout });
    document.title = `${prof.area.name} — Aankomst`;
    await renderProfile(body, prof, { indicator: S.ind, onIndicator: (id) => { S.ind = id; writeState(S, DEFAULTS); show(); } });
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
