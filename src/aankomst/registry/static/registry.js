// Registry pages: the atlas's map component (mapbase.js: MapLibre, no tiles, nothing from another
// origin) with the area outlines and the resources drawn as a layer. Modes (data-mode of #map):
// "search" draws the resources matching the page's filters (GeoJSON from /api/resources);
// "view" draws one resource; "pick" lets an editor click a location that fills the form's
// latitude/longitude fields (WGS84). The language is the page's (?lang=, rendered by the server).
import { el } from '/static/js/common.js';
import { geojsonBounds, makeBaseMap, whenLoaded } from '/static/js/mapbase.js';

const box = document.getElementById('map');
const strings = JSON.parse(document.body.dataset.strings || '{}');
const lang = document.documentElement.lang || 'nl';
const EMPTY = { type: 'FeatureCollection', features: [] };
const POINT = '#c2410c';
const withLang = (url) => (lang === 'nl' ? url : `${url}${url.includes('?') ? '&' : '?'}lang=${lang}`);

async function getJSON(url) {
  const r = await fetch(url, { credentials: 'same-origin', headers: { Accept: 'application/json' } });
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return r.json();
}

function pointFC(lon, lat, props = {}) {
  if (!Number.isFinite(lon) || !Number.isFinite(lat) || (lon === 0 && lat === 0)) return EMPTY;
  return { type: 'FeatureCollection', features: [{ type: 'Feature', id: props.id || 0, properties: props, geometry: { type: 'Point', coordinates: [lon, lat] } }] };
}

function addAreas(map, fc) {
  map.addSource('areas', { type: 'geojson', data: fc, promoteId: 'code' });
  map.addLayer({ id: 'areas-fill', type: 'fill', source: 'areas', paint: { 'fill-color': '#e4ebf1', 'fill-opacity': 0.9 } });
  map.addLayer({ id: 'areas-line', type: 'line', source: 'areas', paint: { 'line-color': '#7d97a8', 'line-width': 0.8 } });
}

function addResources(map, fc, mode) {
  map.addSource('resources', { type: 'geojson', data: fc });
  map.addLayer({ id: 'resources', type: 'circle', source: 'resources',
    paint: { 'circle-radius': mode === 'search' ? ['interpolate', ['linear'], ['zoom'], 8, 3.2, 12, 5, 15, 7] : 7,
      'circle-color': mode === 'pick' ? '#0b7a3b' : POINT,
      'circle-stroke-color': '#ffffff', 'circle-stroke-width': ['interpolate', ['linear'], ['zoom'], 8, 0.6, 12, 1.5] } });
  map.addLayer({ id: 'resources-hl', type: 'circle', source: 'resources', filter: ['==', ['id'], -1],
    paint: { 'circle-radius': 9, 'circle-color': 'rgba(0,0,0,0)', 'circle-stroke-color': '#111111', 'circle-stroke-width': 2.5 } });
}

function legend(section, hasAreas) {
  const lg = el('div', { class: 'legend reg-legend', id: 'reg-legend' },
    el('div', {}, el('span', { class: 'dot' }), strings.map_resources || ''),
    hasAreas ? el('div', {}, el('span', { class: 'outline' }), strings.map_areas || '') : null);
  section.append(lg);
}

function searchInteractions(map) {
  const tip = document.getElementById('tooltip');
  map.on('mousemove', 'resources', (e) => {
    const f = e.features && e.features[0];
    if (!f) return;
    map.getCanvas().style.cursor = 'pointer';
    map.setFilter('resources-hl', ['==', ['id'], f.id]);
    if (tip) {
      tip.replaceChildren(el('strong', {}, f.properties.name || ''), el('br'), strings.open_record || '');
      tip.hidden = false;
      tip.style.left = `${box.offsetLeft + e.point.x + 14}px`;
      tip.style.top = `${box.offsetTop + e.point.y + 14}px`;
    }
  });
  map.on('mouseleave', 'resources', () => {
    map.getCanvas().style.cursor = '';
    map.setFilter('resources-hl', ['==', ['id'], -1]);
    if (tip) tip.hidden = true;
  });
  map.on('click', 'resources', (e) => {
    const f = e.features && e.features[0];
    if (f) window.location.href = withLang(`/resources/${encodeURIComponent(f.id)}`);
  });
  for (const tr of document.querySelectorAll('tr.result')) {
    tr.addEventListener('mouseenter', () => map.setFilter('resources-hl', ['==', ['id'], Number(tr.dataset.id)]));
    tr.addEventListener('mouseleave', () => map.setFilter('resources-hl', ['==', ['id'], -1]));
  }
}

function pickInteractions(map) {
  const lonIn = document.getElementById('e-lon');
  const latIn = document.getElementById('e-lat');
  map.on('click', (e) => {
    const { lng, lat } = e.lngLat;
    lonIn.value = lng.toFixed(6);
    latIn.value = lat.toFixed(6);
    map.getSource('resources').setData(pointFC(lng, lat));
    box.dataset.picked = '1';
  });
}

async function main() {
  if (!box || typeof maplibregl === 'undefined') return;
  const mode = box.dataset.mode || 'view';
  const map = makeBaseMap(box);
  window.__aankomst = { map, mode, page: 'registry' };
  const muni = box.dataset.municipality || (document.getElementById('f-municipality') || {}).value || '';
  const areasUrl = `/api/registry/areas.geojson${muni ? `?municipality=${encodeURIComponent(muni)}` : ''}`;
  const [areas, points] = await Promise.all([
    getJSON(areasUrl).catch(() => EMPTY),
    mode === 'search' ? getJSON(`/api/resources?${box.dataset.query || 'format=geojson'}`)
      : Promise.resolve(pointFC(Number(box.dataset.lon), Number(box.dataset.lat), { name: box.dataset.name || '' })),
    whenLoaded(map),
  ]);
  addAreas(map, areas);
  addResources(map, points, mode);
  window.__aankomst.resources = points.features.length;
  if (mode === 'search') { legend(box, areas.features.length > 0); searchInteractions(map); }
  if (mode === 'pick') pickInteractions(map);
  const bounds = geojsonBounds(points.features.length && mode !== 'pick' ? points : areas) || geojsonBounds(points);
  if (bounds) {
    const single = bounds[0][0] === bounds[1][0] && bounds[0][1] === bounds[1][1];
    if (single) map.jumpTo({ center: bounds[0], zoom: 13 });
    else map.fitBounds(bounds, { padding: 40, maxZoom: 15, duration: 0 });
  }
  map.once('idle', () => { box.dataset.ready = '1'; });
  map.triggerRepaint();
}

main().catch((err) => {
  if (box) { box.dataset.ready = 'error'; box.dataset.error = String(err && err.message); }
  console.error(err);
});
