/* The tracking map: devices, their recent paths and open alerts from /tracking/map.json, fetched
 * again every few seconds. Leaflet draws them when it is installed; tiles come from the configured
 * tile server, and a plain world outline (Natural Earth 110m land, TopoJSON from the world-atlas
 * package) lies under the tiles in its own pane, so it shows wherever tiles are missing or fail. */
(function () {
  "use strict";

  var SIDE_DEVICES = 200; /* the side table lists this many devices; the map draws them all */
  var SEVERITY_COLOURS = { critical: "#7b1020", high: "#c0392b", medium: "#d68910", info: "#2e86c1" };

  function text(value) {
    return value === undefined || value === null ? "" : String(value);
  }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) { node.setAttribute(key, attrs[key]); });
    (children || []).forEach(function (child) {
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  /* TopoJSON (quantized or not) -> GeoJSON geometries of one object. */
  function topoGeometries(topo, name) {
    var transform = topo.transform;
    var arcs = topo.arcs.map(function (arc) {
      var x = 0, y = 0;
      return arc.map(function (point) {
        if (!transform) { return [point[0], point[1]]; }
        x += point[0]; y += point[1];
        return [x * transform.scale[0] + transform.translate[0], y * transform.scale[1] + transform.translate[1]];
      });
    });
    function arc(index) {
      var points = arcs[index < 0 ? ~index : index].slice();
      if (index < 0) { points.reverse(); }
      return points;
    }
    function ring(indexes) {
      var points = [];
      indexes.forEach(function (index, k) {
        var part = arc(index);
        if (k > 0) { part.shift(); }
        points = points.concat(part);
      });
      return unwrap(points);
    }
    /* Rings that cross the antimeridian continue past +-180 instead of drawing a line across the
     * map; a ring around a pole (Antarctica) is closed along the pole. */
    function unwrap(points) {
      var out = [], shift = 0;
      points.forEach(function (point, i) {
        if (i > 0) {
          var step = point[0] - points[i - 1][0];
          if (step > 180) { shift -= 360; } else if (step < -180) { shift += 360; }
        }
        out.push([point[0] + shift, point[1]]);
      });
      /* bring the ring back to the world in view (a ring that starts at -180 and runs west) */
      var lons = out.map(function (point) { return point[0]; });
      var back = 360 * Math.round((Math.min.apply(null, lons) + Math.max.apply(null, lons)) / 720);
      out.forEach(function (point) { point[0] -= back; });
      var first = out[0], last = out[out.length - 1];
      if (out.length > 1 && Math.abs(last[0] - first[0]) > 180) {
        var pole = first[1] < 0 ? -90 : 90;
        out.push([last[0], pole], [first[0], pole]);
      }
      return out;
    }
    function geometry(g) {
      if (g.type === "GeometryCollection") { return [].concat.apply([], g.geometries.map(geometry)); }
      if (g.type === "Polygon") { return [{ type: "Polygon", coordinates: g.arcs.map(ring) }]; }
      if (g.type === "MultiPolygon") {
        return [{ type: "MultiPolygon", coordinates: g.arcs.map(function (p) { return p.map(ring); }) }];
      }
      return [];
    }
    return geometry(topo.objects[name] || topo.objects[Object.keys(topo.objects)[0]]);
  }

  function fmtTime(iso) {
    return text(iso).replace("T", " ").slice(0, 16);
  }

  function renderSide(data) {
    var alerts = document.getElementById("map-alerts");
    var devices = document.getElementById("map-devices");
    var alertItems = [], deviceRows = [];
    data.features.forEach(function (f) {
      var p = f.properties;
      if (p.layer === "alert") {
        alertItems.push(el("li", { "class": "sev-" + p.severity, "data-alert-id": p.id }, [
          el("strong", {}, [p.kind.replace(/_/g, " ")]), " · " + p.subject,
          el("small", {}, [fmtTime(p.time) + " · " + p.reason]),
        ]));
      } else if (p.layer === "asset" && deviceRows.length < SIDE_DEVICES) {
        deviceRows.push(el("tr", { "data-device": p.device_id }, [
          el("td", {}, [p.device_id]),
          el("td", {}, [p.lat.toFixed(3) + ", " + p.lon.toFixed(3)]),
          el("td", {}, [fmtTime(p.time)]),
        ]));
      }
    });
    alerts.replaceChildren.apply(alerts, alertItems.length ? alertItems : [el("li", {}, ["No open alerts."])]);
    devices.replaceChildren.apply(devices, deviceRows);
    document.getElementById("map-status").textContent =
      data.devices + " devices, " + data.open_alerts + " open alerts · updated " + fmtTime(data.generated_at) + " UTC";
  }

  function popup(p) {
    if (p.layer === "alert") {
      return "<strong>" + escapeHtml(p.kind.replace(/_/g, " ")) + "</strong> (" + escapeHtml(p.severity) + ")<br>" +
        escapeHtml(p.reason) + "<br><small>" + escapeHtml(p.subject) + " · " + escapeHtml(fmtTime(p.time)) + " UTC</small>";
    }
    var lines = ["<strong>" + escapeHtml(p.device_id) + "</strong>", escapeHtml(fmtTime(p.time)) + " UTC"];
    ["speed_kmh", "temperature_c", "door_open", "seal_intact", "battery_pct"].forEach(function (key) {
      if (p[key] !== undefined) { lines.push(key.replace(/_/g, " ") + ": " + escapeHtml(text(p[key]))); }
    });
    return lines.join("<br>");
  }

  function escapeHtml(value) {
    return text(value).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  function start() {
    var box = document.getElementById("tracking-map");
    if (!box) { return; }
    var source = box.dataset.source;
    var refresh = parseInt(box.dataset.refreshMs, 10) || 5000;
    var map = null, layers = null, fitted = false, alertMarkers = {};

    if (box.dataset.leaflet === "yes" && window.L) {
      map = L.map(box, { worldCopyJump: true, preferCanvas: false, minZoom: 1 }).setView([30, 20], 2);
      map.createPane("outline");
      map.getPane("outline").style.zIndex = 150; /* below the tile pane (200): tiles cover it where they load */
      if (box.dataset.outline) {
        fetch(box.dataset.outline).then(function (r) { return r.ok ? r.json() : null; }).then(function (topo) {
          if (!topo) { return; }
          L.geoJSON({ type: "FeatureCollection", features: topoGeometries(topo, "land").map(function (g) {
            return { type: "Feature", geometry: g, properties: {} };
          }) }, {
            pane: "outline", interactive: false,
            style: { color: "#8a9aa8", weight: 0.7, fillColor: "#f3f0e6", fillOpacity: 1 },
          }).addTo(map);
          box.dataset.outlineDrawn = "yes";
        }).catch(function () { /* no outline: the tracks still show */ });
      }
      if (box.dataset.tiles) {
        L.tileLayer(box.dataset.tiles, { attribution: box.dataset.attribution || "", maxZoom: 18 }).addTo(map);
      }
      layers = {
        corridors: L.layerGroup().addTo(map),
        tracks: L.layerGroup().addTo(map),
        assets: L.layerGroup().addTo(map),
        alerts: L.layerGroup().addTo(map),
      };
      L.control.layers(null, { "Planned corridors": layers.corridors, "Paths": layers.tracks, "Devices": layers.assets, "Open alerts": layers.alerts }).addTo(map);
      L.control.scale().addTo(map);
    }

    /* a click on an open alert in the side panel shows it on the map */
    document.getElementById("map-alerts").addEventListener("click", function (event) {
      var item = event.target.closest("li[data-alert-id]");
      var marker = item && alertMarkers[item.dataset.alertId];
      if (!marker) { return; }
      map.setView(marker.getLatLng(), Math.max(map.getZoom(), 6));
      marker.openPopup();
    });

    function draw(data) {
      if (!map) { return; }
      Object.keys(layers).forEach(function (k) { layers[k].clearLayers(); });
      alertMarkers = {};
      var bounds = [];
      data.features.forEach(function (f) {
        var p = f.properties, layer;
        if (p.layer === "corridor") {
          layer = L.polyline(f.geometry.coordinates.map(function (c) { return [c[1], c[0]]; }),
            { color: "#2e86c1", weight: 3, opacity: 0.5, dashArray: "6 6", className: "corridor" });
          layer.bindTooltip("planned " + escapeHtml(p.mode) + " corridor " + escapeHtml(p.name) + " (" + escapeHtml(p.width_km) + " km)");
          layers.corridors.addLayer(layer);
          return;
        }
        if (p.layer === "track") {
          layer = L.polyline(f.geometry.coordinates.map(function (c) { return [c[1], c[0]]; }),
            { color: "#14324f", weight: 2, opacity: 0.55, className: "track" });
          layers.tracks.addLayer(layer);
          return;
        }
        var latlng = [f.geometry.coordinates[1], f.geometry.coordinates[0]];
        bounds.push(latlng);
        if (p.layer === "asset") {
          layer = L.circleMarker(latlng, { radius: 6, color: "#14324f", fillColor: "#4a90c2", fillOpacity: 0.9, weight: 2, className: "asset" });
          layers.assets.addLayer(layer);
        } else {
          var colour = SEVERITY_COLOURS[p.severity] || "#7a8794";
          layer = L.circleMarker(latlng, { radius: 9, color: colour, fillColor: colour, fillOpacity: 0.45, weight: 2, className: "alert sev-" + p.severity });
          layers.alerts.addLayer(layer);
          alertMarkers[p.id] = layer;
        }
        layer.bindPopup(popup(p));
      });
      if (!fitted && bounds.length) {
        map.fitBounds(bounds, { padding: [30, 30], maxZoom: 8 });
        fitted = true;
      }
    }

    function load() {
      fetch(source, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) {
          if (r.status === 401 || r.redirected) { window.location.reload(); return null; }
          if (!r.ok) { throw new Error("HTTP " + r.status); }
          return r.json();
        })
        .then(function (data) {
          if (!data) { return; }
          renderSide(data);
          draw(data);
          box.dataset.loaded = "yes";
        })
        .catch(function (error) {
          document.getElementById("map-status").textContent = "Could not load positions: " + error.message;
        })
        .finally(function () { window.setTimeout(load, refresh); });
    }
    load();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
