// Draws the map's layers from the JSON options that src/mapdata/mapview writes: every function takes the Leaflet
// map or layer group it draws on and one options object. Every string in those options that can hold news text
// was HTML-escaped there (mapdata.markup.esc); this file only joins strings and never evaluates them.
//
// Each drawn actor and relation carries its key: as `data-key` on its element (an actor 'BY' or 'org:NATO', a
// relation 'BY|PL'), and as the `key` property of the GeoJSON feature that streamlit-folium reports on a click.
window.mapdata = (function () {
  var RAD = Math.PI / 180;

  // Screen bearing (degrees clockwise from north) from p to q in Web Mercator.
  function bearing(p, q) {
    function y(lat) { return Math.log(Math.tan(Math.PI / 4 + Math.max(Math.min(lat, 85), -85) * RAD / 2)) / RAD; }
    return Math.atan2(q[1] - p[1], y(q[0]) - y(p[0])) / RAD;
  }

  // Marks a layer with its key: the feature streamlit-folium reports on a click, and data-key on its element.
  function keyed(layer, key) {
    layer.feature = {type: 'Feature', properties: {key: key}};
    layer.on('add', function () {
      var element = layer.getElement && layer.getElement();
      if (element) { element.setAttribute('data-key', key); }
    });
    return layer;
  }

  // The HTML of the items that popups show, shared by the lines and the markers of one view.
  var shared = [];
  function snippets(group, options) { shared = options.items; }

  // A popup: its title, the newest items (shared snippets by index), and how many more there are.
  function popup(entry) {
    var html = '<b>' + entry[0] + '</b><br>';
    for (var i = 0; i < entry[1].length; i++) { html += shared[entry[1][i]]; }
    if (entry[2] > 0) { html += '<div class="more">' + entry[2].toLocaleString('en-US') + ' more: listed under the map</div>'; }
    return html;
  }

  // rows: [key, [lat, lon, lat, lon, ...] along the great circle, colour, weight, dashed, tooltip, popup entry]
  function lines(group, options) {
    options.rows.forEach(function (r) {
      var points = [];
      for (var i = 0; i < r[1].length; i += 2) { points.push([r[1][i], r[1][i + 1]]); }
      keyed(L.polyline(points, {color: r[2], weight: r[3], opacity: 0.8, dashArray: r[4] ? '8 6' : null,
        className: 'mapdata-relation'}), r[0])
        .bindTooltip(r[5], {sticky: true})
        .bindPopup(popup(r[6]), {maxWidth: 420, maxHeight: 280})
        .addTo(group);
      var at = Math.max(1, Math.floor(points.length * 0.75));
      var angle = bearing(points[at - 1], points[Math.min(at, points.length - 1)]) - 90;  // the glyph points east
      L.marker(points[Math.min(at, points.length - 1)], {interactive: false, icon: L.divIcon({
        html: '<div class="mapdata-arrow" style="color:' + r[2] + ';transform:rotate(' + angle.toFixed(0) + 'deg)">&#x27A4;</div>',
        iconSize: [16, 16], iconAnchor: [8, 8], className: 'mapdata-arrow-icon'})}).addTo(group);
    });
  }

  // rows: [key, lat, lon, radius, colour, is organisation, tooltip, popup entry]
  function actors(group, options) {
    options.rows.forEach(function (r) {
      var layer;
      if (r[5]) {
        var size = Math.round(r[3] * 1.6);
        layer = L.marker([r[1], r[2]], {icon: L.divIcon({
          html: '<div class="org-marker" style="width:' + size + 'px;height:' + size + 'px;background:' + r[4] +
            ';border:2px solid #222;opacity:.85;transform:rotate(45deg)"></div>',
          iconSize: [size, size], iconAnchor: [Math.floor(size / 2), Math.floor(size / 2)],
          className: 'mapdata-actor mapdata-org'})});
      } else {
        layer = L.circleMarker([r[1], r[2]], {radius: r[3], color: '#222222', weight: 1.5, fill: true, fillColor: r[4],
          fillOpacity: 0.85, className: 'mapdata-actor'});
      }
      keyed(layer, r[0]).bindTooltip(r[6]).bindPopup(popup(r[7]), {maxWidth: 420, maxHeight: 280}).addTo(group);
    });
  }

  // The country outlines, drawn once as the offline basemap; kept for the choropleth.
  var outlines = null;
  function basemap(map, options) {
    outlines = options.outlines;
    L.geoJSON(outlines, {interactive: false,
      style: function () { return {fillColor: '#f2efe9', color: '#9a9a9a', weight: 0.6, fillOpacity: 1.0}; }}).addTo(map);
  }

  // options: {counts: {code: items}, fills: {code: colour}}; names come with the outlines (escaped)
  function choropleth(group, options) {
    if (!outlines) { return; }
    L.geoJSON(outlines, {
      filter: function (f) { return options.counts.hasOwnProperty(f.properties.code); },
      style: function (f) { return {fillColor: options.fills[f.properties.code], color: '#555', weight: 0.5, fillOpacity: 0.8}; },
      onEachFeature: function (f, layer) { layer.bindTooltip(f.properties.name + ' · ' + options.counts[f.properties.code] + ' items'); }
    }).addTo(group);
  }

  // rows: [lat, lon, radius, colour]
  function density(group, options) {
    options.rows.forEach(function (r) {
      L.circleMarker([r[0], r[1]], {radius: r[2], stroke: false, fill: true, fillColor: r[3], fillOpacity: 0.6,
        pane: 'heat', interactive: false}).addTo(group);
    });
  }

  // A layer that starts unticked in the layer control: streamlit-folium adds every layer it is given.
  function startHidden(group, options) {
    setTimeout(function () { if (group._map) { group._map.removeLayer(group); } }, 0);
  }

  // options: {html: the legend's HTML (no news text in it)}
  function legend(map, options) {
    var Legend = L.Control.extend({
      options: {position: 'bottomleft'},
      onAdd: function () {
        var box = L.DomUtil.create('div', 'mapdata-legend');
        box.innerHTML = options.html;
        L.DomEvent.disableClickPropagation(box);
        return box;
      }
    });
    new Legend().addTo(map);
  }

  function fullscreen(map, options) {
    var Full = L.Control.extend({
      options: {position: 'topleft'},
      onAdd: function () {
        var bar = L.DomUtil.create('div', 'leaflet-bar');
        var link = L.DomUtil.create('a', 'mapdata-fullscreen', bar);
        link.href = '#'; link.title = 'Full screen'; link.setAttribute('role', 'button');
        link.setAttribute('aria-label', 'Full screen');
        // an inline icon: a font glyph turns into an empty box where the font lacks it
        link.innerHTML = '<svg width="14" height="14" viewBox="0 0 14 14" style="vertical-align:middle" aria-hidden="true">'
          + '<path d="M1 5V1h4M9 1h4v4M13 9v4H9M5 13H1V9" stroke="#333" stroke-width="2" fill="none"/></svg>';
        L.DomEvent.on(link, 'click', function (e) {
          L.DomEvent.stop(e);
          var box = map.getContainer();
          if (document.fullscreenElement) { document.exitFullscreen(); } else if (box.requestFullscreen) { box.requestFullscreen(); }
        });
        document.addEventListener('fullscreenchange', function () { setTimeout(function () { map.invalidateSize(); }, 200); });
        return bar;
      }
    });
    new Full().addTo(map);
  }

  return {snippets: snippets, basemap: basemap, lines: lines, actors: actors, choropleth: choropleth,
    density: density, startHidden: startHidden, legend: legend, fullscreen: fullscreen};
})();
