// The atlas's base map as a reusable module: a MapLibre map with no tiles and nothing from
// another origin (a plain background, navigation, scale and attribution controls), the worker
// from the package's vendored CSP build. The atlas page (map.js) builds the same map; the
// registry pages import this module. Needs /static/vendor/maplibre-gl-csp.js loaded first.

export const BACKGROUND = '#eef1f4';
export const HOME = { center: [4.45, 51.0], zoom: 7.3 };

/**
 * Create the base map in `container` (an element or its id).
 * Options: center [lon, lat], zoom, minZoom (5), maxZoom (16), view ("lon,lat,zoom" from a URL,
 * wins over center/zoom when valid), controls (true), glyphs (URL template of the glyphs for
 * symbol layers, e.g. labels.js's GLYPHS; none by default).
 */
export function makeBaseMap(container, opts = {}) {
  maplibregl.setWorkerUrl('/static/vendor/maplibre-gl-csp-worker.js');
  let center = opts.center || HOME.center;
  let zoom = opts.zoom ?? HOME.zoom;
  if (opts.view) {
    const [lon, lat, z] = String(opts.view).split(',').map(Number);
    if ([lon, lat, z].every(Number.isFinite)) { center = [lon, lat]; zoom = z; }
  }
  const map = new maplibregl.Map({
    container, center, zoom, minZoom: opts.minZoom ?? 5, maxZoom: opts.maxZoom ?? 16, attributionControl: false, fadeDuration: 0,
    preserveDrawingBuffer: true, canvasContextAttributes: { preserveDrawingBuffer: true, antialias: false },
    style: { version: 8, ...(opts.glyphs ? { glyphs: opts.glyphs } : {}), sources: {},
      layers: [{ id: 'background', type: 'background', paint: { 'background-color': BACKGROUND } }] },
  });
  if (opts.controls !== false) {
    map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-right');
    map.addControl(new maplibregl.ScaleControl({ unit: 'metric' }), 'bottom-right');
    map.addControl(new maplibregl.AttributionControl({ compact: true, customAttribution: 'Aankomst · MapLibre' }), 'bottom-right');
  }
  return map;
}

/** Resolve when the map's style is loaded (at once when it already is). */
export function whenLoaded(map) {
  return new Promise((resolve) => { if (map.loaded() || map.isStyleLoaded()) resolve(map); else map.once('load', () => resolve(map)); });
}

/** Bounds [[w, s], [e, n]] of the coordinates of a GeoJSON FeatureCollection (null when empty). */
export function geojsonBounds(fc) {
  const b = [Infinity, Infinity, -Infinity, -Infinity];
  const grow = (c) => {
    if (typeof c[0] === 'number') { b[0] = Math.min(b[0], c[0]); b[1] = Math.min(b[1], c[1]); b[2] = Math.max(b[2], c[0]); b[3] = Math.max(b[3], c[1]); return; }
    for (const x of c) grow(x);
  };
  for (const f of (fc && fc.features) || []) if (f.geometry) grow(f.geometry.coordinates);
  return Number.isFinite(b[0]) ? [[b[0], b[1]], [b[2], b[3]]] : null;
}
