// The resilience network on a Leaflet map (no tile server needed): sites by kind, lanes, and each
// sea lane's open route and detour when the passage closes. Without Leaflet the server-drawn SVG stays.
(function () {
  "use strict";
  function draw() {
    var holder = document.getElementById("resilience-map");
    var source = document.getElementById("resilience-map-data");
    if (!holder || !source || typeof L === "undefined") { return; }
    var data = JSON.parse(source.textContent);
    holder.innerHTML = "";
    var map = L.map(holder, { worldCopyJump: true, attributionControl: false });
    var colours = { supplier: "#1f77b4", plant: "#9467bd", port: "#ff7f0e", depot: "#2ca02c", demand: "#d62728" };
    var bounds = [];
    (data.land || []).forEach(function (ring) {
      L.polygon(ring, { color: "#b9c4b0", weight: 1, fillColor: "#dfe6d8", fillOpacity: 1, interactive: false }).addTo(map);
    });
    (data.reroute.lanes || []).forEach(function (lane) {
      if (!lane.routed) { return; }
      L.polyline(lane.base_path, { color: "#9aa5ad", weight: 2 }).bindTooltip(lane.lane + ": open route").addTo(map);
      L.polyline(lane.detour_path, { color: "#c0392b", weight: 2, dashArray: "6 4" })
        .bindTooltip(lane.lane + ": " + lane.reason).addTo(map);
    });
    var routed = {};
    (data.reroute.lanes || []).forEach(function (lane) { if (lane.routed) { routed[lane.lane] = true; } });
    (data.map.lanes || []).forEach(function (lane) {
      if (routed[lane.id]) { return; } /* drawn along its sea route above */
      L.polyline(lane.path, { color: "#4a5a66", weight: 1.5, dashArray: lane.mode === "sea" ? null : "4 3" })
        .bindTooltip(lane.id + " (" + lane.mode + ")").addTo(map);
    });
    (data.map.sites || []).forEach(function (site) {
      L.circleMarker([site.lat, site.lon], { radius: 6, color: "#fff", weight: 1, fillColor: colours[site.kind] || "#333", fillOpacity: 1 })
        .bindTooltip(site.id + ": " + site.name + " (" + site.kind + ")").addTo(map);
      bounds.push([site.lat, site.lon]);
    });
    if (bounds.length) { map.fitBounds(bounds, { padding: [20, 20] }); } else { map.setView([20, 0], 2); }
    holder.setAttribute("data-drawn", "leaflet");
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); } else { draw(); }
})();
