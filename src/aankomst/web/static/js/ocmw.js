// The neighbourhood map of the OCMW dashboard (/ocmw/{code}): the municipality's neighbourhoods
// (or sectors, or Brussels monitoring neighbourhoods) coloured by the protected figures the page
// carries in data-areas (colours, texts and names come from the server, in the page's language);
// withheld areas grey and hatched; outlines only when no neighbourhood figures are loaded.
// Geometry from the atlas' own endpoint (GET /api/areas, compact form); the base map of
// mapbase.js (no tiles, nothing from another origin). No inline script: CSP script-src 'self'.
// When drawn, the map element gets data-ready="1" (data-ready="error" and data-error on failure).
import { api } from './common.js';
import { decodeAreas } from './labels.js';
import { geojsonBounds, makeBaseMap, whenLoaded } from './mapbase.js';

const WITHHELD = '#c3c8cf';
const NO_DATA = '#eceef1';
const OUTLINE_FILL = '#ffffff';
const LINE = '#24415f';

/** A small diagonal-hatch image for fill-pattern (withheld areas). */
function hatch() {
  const n = 8;
  const data = new Uint8Array(n * n * 4);
  for (let y = 0; y < n; y += 1) {
    for (let x = 0; x < n; x += 1) {
      const on = (x + y) % n < 2;
      const i = (y * n + x) * 4;
      data.set(on ? [90, 98, 110, 255] : [195, 200, 207, 255], i);
    }
  }
  return { width: n, height: n, data };
}

async function draw(box) {
  const areas = JSON.parse(box.dataset.areas || '[]');
  const byCode = new Map(areas.map((a) => [String(a.c), a]));
  const outline = box.dataset.kind === 'none';
  const map = makeBaseMap(box, { minZoom: 6, maxZoom: 16 });
  const [compact] = await Promise.all([
    api('/api/areas', { level: box.dataset.level, layout: box.dataset.layout, zoom: 10, format: 'compact' }),
    whenLoaded(map),
  ]);
  const fc = decodeAreas(compact);
  fc.features = fc.features.filter((f) => byCode.has(String(f.id)));
  for (const f of fc.features) {
    const a = byCode.get(String(f.id));
    f.properties.fill = outline ? OUTLINE_FILL : (a.f || (a.s ? WITHHELD : NO_DATA));
    f.properties.withheld = a.s ? 1 : 0;
    f.properties.label = a.n;
    f.properties.text = a.v;
  }
  map.addImage('ocmw-hatch', hatch());
  map.addSource('nb', { type: 'geojson', data: fc });
  map.addLayer({ id: 'nb-fill', type: 'fill', source: 'nb',
    paint: { 'fill-color': ['get', 'fill'], 'fill-opacity': outline ? 0.55 : 0.9 } });
  map.addLayer({ id: 'nb-hatch', type: 'fill', source: 'nb', filter: ['==', ['get', 'withheld'], 1],
    paint: { 'fill-pattern': 'ocmw-hatch' } });
  map.addLayer({ id: 'nb-line', type: 'line', source: 'nb',
    paint: { 'line-color': LINE, 'line-width': outline ? 1.6 : 0.9 } });
  const popup = new maplibregl.Popup({ closeButton: false, closeOnClick: false });
  map.on('mousemove', 'nb-fill', (e) => {
    const p = e.features && e.features[0] && e.features[0].properties;
    if (!p) return;
    const node = document.createElement('div');
    const b = document.createElement('strong');
    b.textContent = p.label;
    node.append(b);
    if (p.text) node.append(document.createElement('br'), document.createTextNode(p.text));
    popup.setLngLat(e.lngLat).setDOMContent(node).addTo(map);
  });
  map.on('mouseleave', 'nb-fill', () => popup.remove());
  const bounds = geojsonBounds(fc);
  if (bounds) map.fitBounds(bounds, { padding: 24, duration: 0 });
  box.dataset.features = String(fc.features.length);
  await new Promise((resolve) => { map.once('idle', resolve); map.triggerRepaint(); });
  box.dataset.ready = '1';
}

const box = document.getElementById('nb-map');
if (box) {
  const start = () => draw(box).catch((e) => {
    box.dataset.ready = 'error';
    box.dataset.error = String((e && e.message) || e);
    console.error(e); // eslint-disable-line no-console
  });
  // maplibre-gl-csp.js is a deferred classic script: loaded before this module runs
  if (typeof maplibregl === 'undefined') window.addEventListener('load', start, { once: true });
  else start();
}
