// Draws the map's data layers from compact JSON made by mapview.py. Every string in that JSON that can hold
// news text was HTML-escaped there; this file only joins strings and never evaluates them.
window.mapdata = (function () {
  var RAD = Math.PI / 180;

  // Points along the great circle from a to b (spherical interpolation), continuous across the antimeridian.
  function arc(a, b, steps) {
    var p1 = a[0] * RAD, l1 = a[1] * RAD, p2 = b[0] * RAD, l2 = b[1] * RAD;
    var h = Math.pow(Math.sin((p2 - p1) / 2), 2) + Math.cos(p1) * Math.cos(p2) * Math.pow(Math.sin((l2 - l1) / 2), 2);
    var d = 2 * Math.asin(Math.min(1, Math.sqrt(h)));
    if (d < 1e-7 || Math.abs(Math.sin(d)) < 1e-7) { return [a, b]; }
    var points = [];
    for (var i = 0; i <= steps; i++) {
      var f = i / steps, A = Math.sin((1 - f) * d) / Math.sin(d), B = Math.sin(f * d) / Math.sin(d);
      var x = A * Math.cos(p1) * Math.cos(l1) + B * Math.cos(p2) * Math.cos(l2);
      var y = A * Math.cos(p1) * Math.sin(l1) + B * Math.cos(p2) * Math.sin(l2);
      var z = A * Math.sin(p1) + B * Math.sin(p2);
      var lat = Math.atan2(z, Math.sqrt(x * x + y * y)) / RAD, lon = Math.atan2(y, x) / RAD;
      if (points.length) {
        var prev = points[points.length - 1][1];
        while (lon - prev > 180) { lon -= 360; }
        while (lon - prev < -180) { lon += 360; }
      }
      points.push([lat, lon]);
    }
    return points;
  }

  // Screen bearing (degrees clockwise from north) from p to q in Web Mercator.
  function bearing(p, q) {
    function y(lat) { return Math.log(Math.tan(Math.PI / 4 + Math.max(Math.min(lat, 85), -85) * RAD / 2)) / RAD; }
    return Math.atan2(q[1] - p[1], y(q[0]) - y(p[0])) / RAD;
  }

  // The HTML of the items that popups show, shared by the lines and the markers of one view.
  var shared = [];
  function snippets(group, list) { shared = list; }

  // A popup: its title, the newest items (shared snippets by index), and how many more there are.
  function popup(data, entry) {
    var html = '<b>' + entry[0] + '</b><br>';
    for (var i = 0; i < entry[1].length; i++) { html += shared[entry[1][i]]; }
    if (entry[2] > 0) { html += '<div class="more">' + entry[2].toLocaleString('en-US') + ' more: listed under the map</div>'; }
    return html;
  }

  // rows: [lat1, lon1, lat2, lon2, colour, weight, dashed, className, tooltip, popup entry]
  function lines(group, data) {
    data.rows.forEach(function (r) {
      var points = arc([r[0], r[1]], [r[2], r[3]], 24);
      L.polyline(points, {color: r[4], weight: r[5], opacity: 0.8, dashArray: r[6] ? '8 6' : null, className: r[7]})
        .bindTooltip(r[8], {sticky: true})
        .bindPopup(popup(data, r[9]), {maxWidth: 420, maxHeight: 280})
        .addTo(group);
      var i = Math.max(1, Math.floor(points.length * 0.75));
      var angle = bearing(points[i - 1], points[Math.min(i, points.length - 1)]) - 90;  // the glyph points east
      L.marker(points[Math.min(i, points.length - 1)], {interactive: false, icon: L.divIcon({
        html: '<div class="mapdata-arrow" style="color:' + r[4] + ';transform:rotate(' + angle.toFixed(0) + 'deg)">&#x27A4;</div>',
        iconSize: [16, 16], iconAnchor: [8, 8], className: 'mapdata-arrow-icon'})}).addTo(group);
    });
  }

  // rows: [lat, lon, radius, colour, is organisation, className, tooltip, popup entry]
  function actors(group, data) {
    data.rows.forEach(function (r) {
      var layer;
      if (r[4]) {
        var size = Math.round(r[2] * 1.6);
        layer = L.marker([r[0], r[1]], {icon: L.divIcon({
          html: '<div class="org-marker" style="width:' + size + 'px;height:' + size + 'px;background:' + r[3] +
            ';border:2px solid #222;opacity:.85;transform:rotate(45deg)"></div>',
          iconSize: [size, size], iconAnchor: [Math.floor(size / 2), Math.floor(size / 2)], className: r[5]})});
      } else {
        layer = L.circleMarker([r[0], r[1]], {radius: r[2], color: '#222222', weight: 1.5, fill: true, fillColor: r[3],
          fillOpacity: 0.85, className: r[5]});
      }
      layer.bindTooltip(r[6]).bindPopup(popup(data, r[7]), {maxWidth: 420, maxHeight: 280}).addTo(group);
    });
  }

  // The country outlines, drawn once as the offline basemap; kept for the choropleth.
  var outlines = null;
  function basemap(map, geojson) {
    outlines = geojson;
    L.geoJSON(geojson, {interactive: false,
      style: function () { return {fillColor: '#f2efe9', color: '#9a9a9a', weight: 0.6, fillOpacity: 1.0}; }}).addTo(map);
  }

  // data: {counts: {code: items}, fills: {code: colour}, names: {code: escaped name}}
  function choropleth(group, data) {
    if (!outlines) { return; }
    L.geoJSON(outlines, {
      filter: function (f) { return data.counts.hasOwnProperty(f.properties.code); },
      style: function (f) { return {fillColor: data.fills[f.properties.code], color: '#555', weight: 0.5, fillOpacity: 0.8}; },
      onEachFeature: function (f, layer) { layer.bindTooltip(f.properties.name + ' · ' + data.counts[f.properties.code] + ' items'); }
    }).addTo(group);
  }

  // rows: [lat, lon, radius, colour]
  function density(group, data) {
    data.rows.forEach(function (r) {
      L.circleMarker([r[0], r[1]], {radius: r[2], stroke: false, fill: true, fillColor: r[3], fillOpacity: 0.6,
        pane: 'heat', interactive: false}).addTo(group);
    });
  }

  return {arc: arc, snippets: snippets, basemap: basemap, lines: lines, actors: actors, choropleth: choropleth, density: density};
})();
