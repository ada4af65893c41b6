// Aankomst registry: a small SVG map of the atlas neighbourhoods (no external libraries).
// Modes: "view" draws the resources listed on the page; "pick" lets an editor click a location
// that fills the form's latitude/longitude fields (WGS84).
(function () {
  "use strict";
  var NS = "http://www.w3.org/2000/svg";
  var el = document.getElementById("reg-map");
  if (!el) { return; }
  var mode = el.dataset.mode || "view";
  var W = Math.max(300, el.clientWidth || 600), H = Math.max(200, el.clientHeight || 360);
  var svg = document.createElementNS(NS, "svg");
  svg.setAttribute("viewBox", "0 0 " + W + " " + H);
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", "kaart / map");
  el.appendChild(svg);

  function points() {
    var pts = [];
    document.querySelectorAll("tr.result").forEach(function (tr) {
      pts.push({ id: tr.dataset.id, lon: +tr.dataset.lon, lat: +tr.dataset.lat, name: tr.dataset.name });
    });
    if (el.dataset.lon && el.dataset.lat) {
      pts.push({ id: null, lon: +el.dataset.lon, lat: +el.dataset.lat, name: "" });
    }
    return pts.filter(function (p) { return isFinite(p.lon) && isFinite(p.lat) && p.lon !== 0; });
  }

  function eachCoord(geom, fn) {
    var polys = geom.type === "Polygon" ? [geom.coordinates] : geom.type === "MultiPolygon" ? geom.coordinates : [];
    polys.forEach(function (poly) { poly.forEach(function (ring) { ring.forEach(fn); }); });
  }

  function draw(fc) {
    var pts = points();
    var b = [Infinity, Infinity, -Infinity, -Infinity];
    var grow = function (c) { b[0] = Math.min(b[0], c[0]); b[1] = Math.min(b[1], c[1]); b[2] = Math.max(b[2], c[0]); b[3] = Math.max(b[3], c[1]); };
    fc.features.forEach(function (f) { eachCoord(f.geometry, grow); });
    if (!fc.features.length) { pts.forEach(function (p) { grow([p.lon, p.lat]); }); }
    if (!isFinite(b[0])) { b = [2.5, 49.5, 6.4, 51.5]; }
    if (b[2] - b[0] < 0.01) { b[0] -= 0.01; b[2] += 0.01; }
    if (b[3] - b[1] < 0.01) { b[1] -= 0.01; b[3] += 0.01; }
    var kx = Math.cos(((b[1] + b[3]) / 2) * Math.PI / 180);
    var s = Math.min((W - 20) / ((b[2] - b[0]) * kx), (H - 20) / (b[3] - b[1]));
    var ox = (W - (b[2] - b[0]) * kx * s) / 2, oy = (H - (b[3] - b[1]) * s) / 2;
    var proj = function (lon, lat) { return [ox + (lon - b[0]) * kx * s, oy + (b[3] - lat) * s]; };
    var inv = function (x, y) { return [b[0] + (x - ox) / (kx * s), b[3] - (y - oy) / s]; };
    fc.features.forEach(function (f) {
      var d = "";
      var polys = f.geometry.type === "Polygon" ? [f.geometry.coordinates] : f.geometry.coordinates;
      polys.forEach(function (poly) {
        poly.forEach(function (ring) {
          ring.forEach(function (c, i) { var p = proj(c[0], c[1]); d += (i ? "L" : "M") + p[0].toFixed(1) + " " + p[1].toFixed(1); });
          d += "Z";
        });
      });
      var path = document.createElementNS(NS, "path");
      path.setAttribute("d", d);
      path.setAttribute("class", "area");
      path.setAttribute("data-code", f.properties.code);
      var t = document.createElementNS(NS, "title");
      t.textContent = f.properties.name + " (" + f.properties.code + ")";
      path.appendChild(t);
      svg.appendChild(path);
    });
    pts.forEach(function (p) {
      var q = proj(p.lon, p.lat);
      var c = document.createElementNS(NS, "circle");
      c.setAttribute("cx", q[0]); c.setAttribute("cy", q[1]); c.setAttribute("r", mode === "pick" ? 6 : 4);
      c.setAttribute("class", mode === "pick" ? "picked" : "point");
      if (p.id) {
        c.setAttribute("data-id", p.id);
        var t = document.createElementNS(NS, "title"); t.textContent = p.name; c.appendChild(t);
        c.addEventListener("click", function () { window.location.href = "/resources/" + encodeURIComponent(p.id); });
      }
      svg.appendChild(c);
    });
    if (mode === "pick") {
      var marker = svg.querySelector("circle.picked");
      svg.addEventListener("click", function (ev) {
        var r = svg.getBoundingClientRect();
        var x = (ev.clientX - r.left) * W / r.width, y = (ev.clientY - r.top) * H / r.height;
        var ll = inv(x, y);
        document.getElementById("e-lon").value = ll[0].toFixed(6);
        document.getElementById("e-lat").value = ll[1].toFixed(6);
        if (!marker) { marker = document.createElementNS(NS, "circle"); marker.setAttribute("r", 6); marker.setAttribute("class", "picked"); svg.appendChild(marker); }
        marker.setAttribute("cx", x); marker.setAttribute("cy", y);
        el.dataset.picked = "1";
      });
    }
    el.dataset.ready = "1";
  }

  var q = "";
  var muni = el.dataset.municipality || (document.getElementById("f-municipality") || {}).value || "";
  if (muni) { q = "?municipality=" + encodeURIComponent(muni); }
  fetch("/api/registry/areas.geojson" + q, { credentials: "same-origin" })
    .then(function (r) { return r.ok ? r.json() : { features: [] }; })
    .catch(function () { return { features: [] }; })
    .then(draw);
})();
