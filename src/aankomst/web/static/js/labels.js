// Orientation on the atlas map without a tile server: municipality outlines and names always,
// the names of finer areas (neighbourhoods, sectors, Brussels monitoring neighbourhoods) when
// zoomed in. Everything comes from the atlas (GET /api/areas, GET /api/labels) and the glyphs
// shipped in /static/glyphs (made by scripts/make_glyphs.py). An optional base map
// (GET /api/basemap, `aankomst serve --basemap`) is drawn under the areas.
import { api } from './common.js';

export const GLYPHS = '/static/glyphs/{fontstack}/{range}.pbf';
const FINE = new Set(['deelgemeente', 'neighbourhood', 'sector', 'brussels_neighbourhood']);
const FINE_MINZOOM = 11;
const EMPTY = { type: 'FeatureCollection', features: [] };

/** The name of a label point in the interface language (Dutch when there is none). */
export function nameExpression(lang) {
  return ['coalesce', ['get', `name_${lang}`], ['get', 'name_nl'], ['get', 'code']];
}

/** Decode the compact area form (integer grid coordinates, delta-encoded per ring) to GeoJSON. */
export function decodeAreas(c) {
  const g = c.grid;
  const features = c.features.map((f) => ({
    type: 'Feature', id: f.code,
    properties: { code: f.code, name: f.name, name_nl: f.name_nl, name_fr: f.name_fr },
    geometry: { type: 'MultiPolygon', coordinates: f.g.map((poly) => poly.map((ring) => {
      const out = new Array(ring.length / 2);
      let x = 0; let y = 0;
      for (let i = 0; i < ring.length; i += 2) { x += ring[i]; y += ring[i + 1]; out[i / 2] = [x * g, y * g]; }
      return out;
    })) },
  }));
  return { type: 'FeatureCollection', bbox: c.bbox, aankomst: c.aankomst, features };
}

/** Add the outline and label layers (above the areas) to a map whose style has GLYPHS. */
export function addOrientation(map, lang) {
  map.addSource('mun-outline', { type: 'geojson', data: EMPTY });
  map.addSource('mun-labels', { type: 'geojson', data: EMPTY });
  map.addSource('fine-labels', { type: 'geojson', data: EMPTY });
  map.addLayer({ id: 'mun-outline', type: 'line', source: 'mun-outline',
    paint: { 'line-color': '#3a4250', 'line-opacity': 0.75,
      'line-width': ['interpolate', ['linear'], ['zoom'], 7, 0.6, 11, 1.4, 14, 2.2] } });
  const halo = { 'text-color': '#1d2430', 'text-halo-color': 'rgba(255,255,255,0.92)', 'text-halo-width': 1.6 };
  map.addLayer({ id: 'fine-labels', type: 'symbol', source: 'fine-labels', minzoom: FINE_MINZOOM,
    layout: { 'text-field': nameExpression(lang), 'text-font': ['DejaVu Sans Book'],
      'text-size': ['interpolate', ['linear'], ['zoom'], FINE_MINZOOM, 10, 15, 13],
      'text-max-width': 8, 'symbol-sort-key': ['-', 0, ['get', 'km2']], 'text-padding': 3 },
    paint: { ...halo, 'text-color': '#3b4452' } });
  map.addLayer({ id: 'mun-labels', type: 'symbol', source: 'mun-labels',
    layout: { 'text-field': nameExpression(lang), 'text-font': ['DejaVu Sans Bold'],
      'text-size': ['interpolate', ['linear'], ['zoom'], 7, 10.5, 10, 13, 14, 16],
      'text-max-width': 9, 'symbol-sort-key': ['-', 0, ['get', 'km2']], 'text-padding': 4,
      'text-allow-overlap': false },
    paint: halo });
}

/** Load the municipality outlines and labels (once) and the labels of ``level`` (finer levels). */
export async function loadOrientation(map, level, layout) {
  const jobs = [];
  if (!map.__aankomstMun) {
    map.__aankomstMun = true;
    jobs.push(api('/api/areas', { level: 'municipality', zoom: 10, format: 'compact' })
      .then((c) => map.getSource('mun-outline').setData(decodeAreas(c))).catch(() => { map.__aankomstMun = false; }));
    jobs.push(api('/api/labels', { level: 'municipality' })
      .then((fc) => map.getSource('mun-labels').setData(fc)).catch(() => { map.__aankomstMun = false; }));
  }
  if (FINE.has(level)) {
    jobs.push(api('/api/labels', { level, layout }).then((fc) => map.getSource('fine-labels').setData(fc))
      .catch(() => map.getSource('fine-labels').setData(EMPTY)));
  } else {
    map.getSource('fine-labels').setData(EMPTY);
  }
  await Promise.all(jobs);
}

/** Names in another language: only the text expressions change. */
export function setLabelLanguage(map, lang) {
  for (const id of ['mun-labels', 'fine-labels']) if (map.getLayer(id)) map.setLayoutProperty(id, 'text-field', nameExpression(lang));
}

/** The optional base map of the deployment (none by default): a raster or vector tile source
 * served by this app from a local MBTiles file, drawn under the areas (``before``). */
export async function addBasemap(map, before) {
  let bm;
  try { bm = await api('/api/basemap'); } catch (e) { return null; }
  if (!bm || bm.kind === 'none') return bm;
  if (bm.kind === 'style') {  // a MapLibre style: its sources and non-text layers, under the areas
    const style = await fetch(bm.url).then((r) => r.json());
    for (const [id, src] of Object.entries(style.sources || {})) map.addSource(`basemap-${id}`, src);
    for (const lyr of style.layers || []) {
      if (lyr.type === 'symbol' || !lyr.source) continue;
      map.addLayer({ ...lyr, id: `basemap-${lyr.id}`, source: `basemap-${lyr.source}` }, before);
    }
    return bm;
  }
  const src = { type: bm.kind, tiles: bm.tiles, minzoom: bm.minzoom, maxzoom: bm.maxzoom, attribution: bm.attribution || '' };
  if (bm.kind === 'raster') src.tileSize = bm.tile_size || 256;
  map.addSource('basemap', src);
  if (bm.kind === 'raster') {
    map.addLayer({ id: 'basemap', type: 'raster', source: 'basemap', paint: { 'raster-opacity': 0.9 } }, before);
  } else {
    for (const lyr of bm.vector_layers || []) {
      map.addLayer({ id: `basemap-${lyr}`, type: 'line', source: 'basemap', 'source-layer': lyr,
        paint: { 'line-color': '#9aa4b1', 'line-width': 0.6 } }, before);
    }
  }
  return bm;
}
