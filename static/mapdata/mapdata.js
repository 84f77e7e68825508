// Draws the map from the JSON options that src/mapdata/mapview.py writes: every function takes the Leaflet map or
// layer group it draws on and one options object. Every string in those options that can hold news text was
// HTML-escaped there (mapdata.markup.esc); this file only joins strings and never evaluates them.
//
// Each drawn element carries a class and its key: `mapdata-actor` (data-key 'BY' or 'org:NATO'),
// `mapdata-relation` ('BY|PL'), `mapdata-country` (the outline of an actor's country or territory),
// `mapdata-label`. A clicked marker or line is also reported to the app as a GeoJSON feature whose `key`
// property is its key (streamlit-folium sends the clicked layer's toGeoJSON()).
window.mapdata = (function () {
  var RAD = Math.PI / 180;
  var FINE_FROM_ZOOM = 4;  // 1:110m outlines below this zoom, 1:50m from it
  var PLACES_FROM_ZOOM = 5;  // capitals and the places behind evidence are named from this zoom
  var COUNTRY_LABELS = {1: 12, 2: 25, 3: 60};  // names of countries no item involves, by zoom (all from zoom 4)
  // a popup does not pan the map: the view is the analyst's (or fits the data), and the panel under the map
  // lists every item of what was clicked
  var POPUP = {maxWidth: 420, maxHeight: 280, autoPan: false};
  var M = {map: null, outlines: null, base: {}, scale: null, fitPoints: [], userMoved: false, programmatic: false,
           actors: [], markers: {}, lines: [], labels: null, countryLabels: [], capitals: [], places: [],
           pendingChoropleth: null, time: null, openKey: null};

  // ------------------------------------------------------------------------------------------ helpers

  // Marks a layer with its key: the feature streamlit-folium reports on a click, and data-key on its element.
  function keyed(layer, key) {
    layer.feature = {type: 'Feature', properties: {key: key}};
    layer.on('add', function () {
      var element = layer.getElement && layer.getElement();
      if (element) { element.setAttribute('data-key', key); }
    });
    return layer;
  }

  // Screen bearing (degrees clockwise from north) from p to q in Web Mercator.
  function bearing(p, q) {
    function y(lat) { return Math.log(Math.tan(Math.PI / 4 + Math.max(Math.min(lat, 85), -85) * RAD / 2)) / RAD; }
    return Math.atan2(q[1] - p[1], y(q[0]) - y(p[0])) / RAD;
  }

  // A longitude moved by whole turns to lie nearest the map's centre (so labels follow a Pacific-centred view).
  function near(lon) {
    var centre = M.map.getCenter().lng;
    return lon + 360 * Math.round((centre - lon) / 360);
  }

  var measure = document.createElement('canvas').getContext('2d');
  function textWidth(text, font) {
    measure.font = font;
    return Math.ceil(measure.measureText(text).width);
  }

  function unescapeText(html) {  // the label's text as shown (names arrive HTML-escaped)
    var box = document.createElement('span');
    box.innerHTML = html;
    return box.textContent;
  }

  // ------------------------------------------------------------------------------------------ the basemap

  // options: {coarse: {url, keys}, small: [GeoJSON geometry...], fine: {url, keys}, extra: url,
  //           labels: [[key, name, lat, lon, area km2]...], capitals: [[key, name, lat, lon]...]}
  // The coarse outlines (1:110m, and the fine outlines of the small states that file lacks, sent inline) are
  // fetched at once; the fine ones (1:50m) the first time the map is zoomed in far enough to draw them.
  function basemap(map, options) {
    M.map = map;
    M.basemapOptions = options;
    M.countryLabels = options.labels.slice().sort(function (a, b) { return b[4] - a[4]; });
    M.capitals = options.capitals;
    map.createPane('mapdataCountries').style.zIndex = 200;
    map.createPane('mapdataLines').style.zIndex = 390;  // under the markers (overlay pane, 400)
    var labels = map.createPane('mapdataLabels');
    labels.style.zIndex = 450;
    labels.style.pointerEvents = 'none';
    M.labels = L.layerGroup().addTo(map);
    map.on('movestart', function () { if (!M.programmatic) { M.userMoved = true; } });
    // The open popup's key, so that it opens again on the new layers when the data or the focus change (a rerun
    // swaps the layers). A popup closed because its layer was removed (the map no longer lists the layer by
    // then) keeps the key; one the analyst closed clears it.
    map.on('popupopen', function (e) {
      var source = e.popup._source;
      M.openKey = source && source.feature ? source.feature.properties.key : null;
    });
    map.on('popupclose', function (e) {
      var source = e.popup._source;
      if (!source || map.hasLayer(source)) { M.openKey = null; }
    });
    map.on('moveend', function () { drawOutlines(); relabel(); });
    json(options.coarse.url).then(function (topology) {
      var small = options.small.map(function (geometry) { return {type: 'Feature', geometry: geometry}; });
      M.outlines = {coarse: withKeys(topojson.feature(topology, topology.objects.countries).features.concat(small),
                                     options.coarse.keys)};
      drawOutlines();
      if (M.pendingChoropleth) { choropleth(M.pendingChoropleth[0], M.pendingChoropleth[1]); }
    });
    fitControl().addTo(map);
  }

  function json(url) { return fetch(url).then(function (r) { return r.json(); }); }

  function loadFine() {
    if (M.loadingFine) { return; }
    M.loadingFine = true;
    var o = M.basemapOptions;
    Promise.all([json(o.fine.url), json(o.extra)]).then(function (got) {
      var fine = topojson.feature(got[0], got[0].objects.countries).features.concat(got[1].features);
      M.outlines.fine = withKeys(fine, o.fine.keys);
      drawOutlines();
    });
  }

  function withKeys(features, keys) {
    return features.map(function (f, i) {
      return {type: 'Feature', geometry: unwrapped(f.geometry), properties: {key: keys[i]}};
    });
  }

  // Natural Earth cuts the outlines that cross the antimeridian (Russia's far east, Fiji) with points on both
  // ±180°; drawn on a flat map, such a ring would run across the whole world. Each ring is made continuous
  // instead: its longitudes run on past 180°, where the copy of the world beside this one is drawn.
  function unwrapped(geometry) {
    function ring(points) {
      var out = [], shift = 0;
      for (var i = 0; i < points.length; i++) {
        if (i) {
          var step = points[i][0] - points[i - 1][0];
          if (step > 180) { shift -= 360; } else if (step < -180) { shift += 360; }
        }
        out.push([points[i][0] + shift, points[i][1]]);
      }
      return out;
    }
    if (geometry.type === 'Polygon') { return {type: 'Polygon', coordinates: geometry.coordinates.map(ring)}; }
    if (geometry.type === 'MultiPolygon') {
      return {type: 'MultiPolygon', coordinates: geometry.coordinates.map(function (p) { return p.map(ring); })};
    }
    return geometry;
  }

  // The outlines of the scale the zoom calls for, once for each copy of the world the view shows.
  function drawOutlines() {
    if (!M.outlines || !M.map) { return; }
    var scale = M.map.getZoom() >= FINE_FROM_ZOOM ? 'fine' : 'coarse';
    if (scale === 'fine' && !M.outlines.fine) { loadFine(); scale = 'coarse'; }  // coarse until it arrives
    var bounds = M.map.getBounds();
    var wanted = {};
    for (var turn = -1; turn <= 1; turn++) {
      if (bounds.getEast() > turn * 360 - 180 && bounds.getWest() < turn * 360 + 180) { wanted[scale + turn] = turn; }
    }
    Object.keys(M.base).forEach(function (name) {
      if (!(name in wanted)) { M.map.removeLayer(M.base[name]); delete M.base[name]; }
    });
    Object.keys(wanted).forEach(function (name) {
      if (!M.base[name]) { M.base[name] = outlineLayer(M.outlines[scale], wanted[name]).addTo(M.map); }
    });
  }

  function outlineLayer(features, turn) {
    return L.geoJSON({type: 'FeatureCollection', features: features}, {
      pane: 'mapdataCountries', interactive: false,
      coordsToLatLng: function (c) { return L.latLng(c[1], c[0] + 360 * turn); },
      style: function (f) {
        var disputed = !f.properties.key;
        return {className: disputed ? 'mapdata-disputed' : 'mapdata-country', fillColor: disputed ? '#e4e2dd' : '#f2efe9',
                color: '#9a9a9a', weight: 0.6, fillOpacity: 1.0, dashArray: disputed ? '2 3' : null};
      },
      onEachFeature: function (f, layer) { if (f.properties.key) { keyed(layer, f.properties.key); } }
    });
  }

  // ------------------------------------------------------------------------------------------ the view

  function fit(force) {
    if (!M.map || !M.fitPoints.length || (M.userMoved && !force)) { return; }
    M.map.invalidateSize(false);
    M.programmatic = true;
    try {
      M.map.fitBounds(L.latLngBounds(M.fitPoints), {padding: [48, 48], maxZoom: 6, animate: false});
    } finally {
      M.programmatic = false;
    }
    M.userMoved = false;
  }

  function fitControl() {
    var Fit = L.Control.extend({
      options: {position: 'topleft'},
      onAdd: function () {
        var bar = L.DomUtil.create('div', 'leaflet-bar');
        var link = L.DomUtil.create('a', 'mapdata-fit', bar);
        link.href = '#'; link.title = 'Fit to data'; link.setAttribute('role', 'button');
        link.setAttribute('aria-label', 'Fit to data');
        link.innerHTML = '<svg width="14" height="14" viewBox="0 0 14 14" aria-hidden="true">'
          + '<circle cx="7" cy="7" r="2.5" fill="#333"/><path d="M1 4V1h3M10 1h3v3M13 10v3h-3M4 13H1v-3" '
          + 'stroke="#333" stroke-width="1.6" fill="none"/></svg>';
        L.DomEvent.on(link, 'click', function (e) { L.DomEvent.stop(e); fit(true); });
        L.DomEvent.disableClickPropagation(bar);  // a click here is no drag or click of the map
        return bar;
      }
    });
    return new Fit();
  }

  // ------------------------------------------------------------------------------------------ labels

  // Names on the map, placed in order of importance, each only where it overlaps no other name and no marker:
  // the actors of the view (busiest first, under their marker), then other countries by size as the zoom
  // allows, then capitals and the places behind the evidence from zoom 5.
  function relabel() {
    if (!M.map || !M.labels) { return; }
    M.labels.clearLayers();
    var zoom = M.map.getZoom(), size = M.map.getSize(), placed = [], blockers = [];
    var shown = M.actors.filter(function (a) { return a.now > 0; });
    shown.forEach(function (a) {
      var p = M.map.latLngToContainerPoint([a.lat, a.lon]);
      blockers.push([p.x - a.now, p.y - a.now, p.x + a.now, p.y + a.now, a.key]);
    });
    function clear(box, own) {
      if (box[0] < 2 || box[1] < 2 || box[2] > size.x - 2 || box[3] > size.y - 2) { return false; }
      function apart(b) { return box[2] <= b[0] || b[2] <= box[0] || box[3] <= b[1] || b[3] <= box[1]; }
      return placed.every(apart) && blockers.every(function (b) { return b[4] === own || apart(b); });
    }
    function add(key, html, lat, lon, below, kind) {
      var text = unescapeText(html), font = kind === 'place' ? '11px sans-serif' : '600 12px sans-serif';
      var w = textWidth(text, font) + 6, h = 16;
      var latlng = L.latLng(lat, near(lon)), p = M.map.latLngToContainerPoint(latlng);
      var top = p.y + (below || 0) - (below ? 0 : h / 2);
      var box = [p.x - w / 2, top, p.x + w / 2, top + h];
      if (!clear(box, kind === 'actor' ? key : null)) { return false; }  // a name sits under its own marker only
      placed.push(box);
      var label = L.marker(latlng, {pane: 'mapdataLabels', interactive: false, keyboard: false,
        icon: L.divIcon({className: 'mapdata-label mapdata-label-' + kind, html: html, iconSize: [w, h],
                         iconAnchor: [w / 2, (below ? -below : h / 2)]})});
      if (key) { keyed(label, key); }
      label.addTo(M.labels);
      return true;
    }
    var named = {};
    shown.slice().sort(function (a, b) { return b.now - a.now || b.items - a.items; }).forEach(function (a) {
      if (add(a.key, a.label, a.lat, a.lon, a.now + 2, 'actor')) { named[a.key] = true; }
    });
    var more = zoom >= FINE_FROM_ZOOM ? Infinity : (COUNTRY_LABELS[Math.max(1, Math.min(3, zoom))] || 12);
    for (var i = 0; i < M.countryLabels.length && more > 0; i++) {
      var c = M.countryLabels[i];
      if (named[c[0]]) { continue; }
      if (add(c[0], c[1], c[2], c[3], 0, 'country')) { more--; }
    }
    if (zoom >= PLACES_FROM_ZOOM) {
      M.places.concat(M.capitals).forEach(function (p) { add(null, p[1], p[2], p[3], 0, 'place'); });
    }
  }

  // ------------------------------------------------------------------------------------------ data layers

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

  // rows: [key, [lat, lon, lat, lon, ...] along the great circle, colour, weight, opacity, dashed (a shared land
  // border), tooltip, popup, uncertain (the tone of most of its items: dotted)]
  function reopen(key, layer) {
    if (key === M.openKey) { setTimeout(function () { if (layer._map && !layer.isPopupOpen()) { layer.openPopup(); } }, 0); }
  }

  function lines(group, options) {
    M.lines = [];
    options.rows.forEach(function (r) {
      var points = [];
      for (var i = 0; i < r[1].length; i += 2) { points.push([r[1][i], r[1][i + 1]]); }
      // dots: a round cap as wide as the line, so the gap grows with the weight, or a thick dotted line looks solid
      var gap = Math.round(2 * r[3] + 4);
      var dashes = r[5] ? (r[8] ? '8 ' + gap + ' 1 ' + gap : '8 6') : (r[8] ? '1 ' + gap : null);
      var line = keyed(L.polyline(points, {color: r[2], weight: r[3], opacity: r[4], dashArray: dashes,
        className: 'mapdata-relation' + (r[8] ? ' mapdata-unsure' : ''), pane: 'mapdataLines'}), r[0])
        .bindTooltip(r[6], {sticky: true})
        .bindPopup(popup(r[7]), POPUP)
        .addTo(group);
      reopen(r[0], line);
      var at = Math.max(1, Math.floor(points.length * 0.75));
      var angle = bearing(points[at - 1], points[Math.min(at, points.length - 1)]) - 90;  // the glyph points east
      var arrow = L.marker(points[Math.min(at, points.length - 1)], {interactive: false, pane: 'mapdataLines',
        icon: L.divIcon({html: '<div class="mapdata-arrow" style="color:' + r[2] + ';opacity:' + r[4]
          + ';transform:rotate(' + angle.toFixed(0) + 'deg)">&#x27A4;</div>',
          iconSize: [16, 16], iconAnchor: [8, 8], className: 'mapdata-arrow-icon'})}).addTo(group);
      M.lines.push({key: r[0], line: line, arrow: arrow, opacity: r[4], weight: r[3]});
    });
    applyTime();
  }

  // rows: [key, lat, lon, radius, colour, is organisation, tooltip, popup, items, dimmed, label, uncertain (the
  // tone of most of its items: a hatched fill, as the panels hatch an uncertain topic)]
  // options.fit: the points the first view (and every filter change, unless the map was moved) fits
  // options.fresh: the actors with items that arrived since the analyst's last visit (ringed); options.seen:
  // the arrival time of the newest item, kept in a cookie that the next visit's "new" marks start from
  // A fill of the colour striped with white (an SVG pattern, defined once per colour in a hidden SVG of the page:
  // a fill may name a pattern of another SVG of the same document)
  function hatch(colour) {
    var id = 'mapdata-hatch-' + colour.replace(/[^0-9a-zA-Z]/g, '');
    if (!document.getElementById(id)) {
      var ns = 'http://www.w3.org/2000/svg', defs = document.getElementById('mapdata-patterns');
      if (!defs) {
        var holder = document.createElementNS(ns, 'svg');
        holder.setAttribute('width', '0'); holder.setAttribute('height', '0');
        holder.setAttribute('style', 'position:absolute');
        defs = document.createElementNS(ns, 'defs'); defs.id = 'mapdata-patterns';
        holder.appendChild(defs); document.body.appendChild(holder);
      }
      var pattern = document.createElementNS(ns, 'pattern');
      pattern.id = id;
      pattern.setAttribute('patternUnits', 'userSpaceOnUse');
      pattern.setAttribute('width', '5'); pattern.setAttribute('height', '5');
      pattern.setAttribute('patternTransform', 'rotate(45)');
      var ground = document.createElementNS(ns, 'rect'), stripe = document.createElementNS(ns, 'rect');
      ground.setAttribute('width', '5'); ground.setAttribute('height', '5'); ground.setAttribute('fill', colour);
      stripe.setAttribute('width', '2'); stripe.setAttribute('height', '5'); stripe.setAttribute('fill', '#ffffff');
      stripe.setAttribute('fill-opacity', '0.75');
      pattern.appendChild(ground); pattern.appendChild(stripe); defs.appendChild(pattern);
    }
    return 'url(#' + id + ')';
  }

  function actors(group, options) {
    M.actors = [];
    M.markers = {};
    var fresh = {};
    (options.fresh || []).forEach(function (key) { fresh[key] = true; });
    if (options.seen) {
      document.cookie = 'mapdata_seen=' + encodeURIComponent(options.seen) + '; path=/; max-age=31536000; SameSite=Lax';
    }
    options.rows.forEach(function (r) {
      var layer, opacity = r[9] ? 0.25 : 0.85, mark = (fresh[r[0]] ? ' mapdata-fresh' : '') + (r[11] ? ' mapdata-unsure' : '');
      if (r[5]) {
        var size = Math.round(r[3] * 1.6);
        layer = L.marker([r[1], r[2]], {opacity: r[9] ? 0.35 : 1, icon: L.divIcon({
          html: '<div class="org-marker" style="width:' + size + 'px;height:' + size + 'px;background:' + r[4] +
            ';border:2px solid #222;opacity:' + opacity + ';transform:rotate(45deg)' +
            (r[11] ? ';background-image:repeating-linear-gradient(45deg,transparent 0 3px,rgba(255,255,255,.75) 3px 5px)' : '') +
            '"></div>',
          iconSize: [size, size], iconAnchor: [Math.floor(size / 2), Math.floor(size / 2)],
          className: 'mapdata-actor mapdata-org' + mark})});
      } else {
        layer = L.circleMarker([r[1], r[2]], {radius: r[3], color: '#222222', weight: 1.5, opacity: r[9] ? 0.35 : 1,
          fill: true, fillColor: r[11] ? hatch(r[4]) : r[4], fillOpacity: opacity,
          className: 'mapdata-actor' + mark});
      }
      keyed(layer, r[0]).bindTooltip(r[6]).bindPopup(popup(r[7]), POPUP).addTo(group);
      reopen(r[0], layer);
      M.actors.push({key: r[0], lat: r[1], lon: r[2], radius: r[3], now: r[3], items: r[8], label: r[10], org: !!r[5]});
      M.markers[r[0]] = {layer: layer, radius: r[3], org: !!r[5]};
    });
    M.places = options.places || [];
    M.fitPoints = options.fit || [];
    setTimeout(function () { fit(false); relabel(); }, 0);  // once the iframe has its size
    applyTime();
  }

  // options: {counts: {key: items}, fills: {key: colour}}: every outline of a country with items, filled
  function choropleth(group, options) {
    if (!M.outlines) { M.pendingChoropleth = [group, options]; return; }
    M.pendingChoropleth = null;
    var features = M.outlines.coarse.filter(function (f) { return options.counts.hasOwnProperty(f.properties.key); });
    L.geoJSON({type: 'FeatureCollection', features: features}, {
      style: function (f) {
        return {fillColor: options.fills[f.properties.key], color: '#555', weight: 0.5, fillOpacity: 0.8,
                className: 'mapdata-choropleth'};
      },
      onEachFeature: function (f, layer) {
        keyed(layer, f.properties.key).bindTooltip(options.names[f.properties.key] + ' · ' +
          options.counts[f.properties.key].toLocaleString('en-US') + ' items');
      }
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

  // ------------------------------------------------------------------------------------------ time

  // options: {unit: 'day'|'week', periods: ['2025-11-03', ...], actors: {key: [[period, items]...]},
  //           lines: {key: [[period, items]...]}}: a control that steps through the periods, and each step
  //           resizes the markers and shows the lines of that period only (nothing is redrawn or fetched)
  function timeline(group, options) {
    M.time = {options: options, at: null, timer: null};
    if (!M.timeControl && M.map && options.periods.length > 1) {
      M.timeControl = timeControl().addTo(M.map);
    }
    if (M.timeControl) { M.timeControl.update(options); }
  }

  function counts(series) {
    var out = {};
    Object.keys(series).forEach(function (key) {
      var row = {};
      series[key].forEach(function (pair) { row[pair[0]] = pair[1]; });
      out[key] = row;
    });
    return out;
  }

  function applyTime() {
    var t = M.time;
    if (!t) { return; }
    var at = t.at;
    if (!t.actorCounts) { t.actorCounts = counts(t.options.actors); t.lineCounts = counts(t.options.lines); }
    var busiest = 1;
    if (at !== null) {
      Object.keys(t.actorCounts).forEach(function (k) { busiest = Math.max(busiest, t.actorCounts[k][at] || 0); });
    }
    M.actors.forEach(function (a) {
      var m = M.markers[a.key], n = at === null ? null : ((t.actorCounts[a.key] || {})[at] || 0);
      a.now = n === null ? m.radius : (n ? 6 + 24 * Math.sqrt(n / busiest) : 0);
      if (!m.org && a.now) { m.layer.setRadius(a.now); }
      var element = m.layer.getElement && m.layer.getElement();
      if (element) { element.style.display = a.now ? '' : 'none'; }
    });
    M.lines.forEach(function (l) {
      var n = at === null ? 1 : ((t.lineCounts[l.key] || {})[at] || 0);
      var show = n > 0;
      l.line.setStyle({opacity: show ? l.opacity : 0});
      var element = l.arrow.getElement && l.arrow.getElement();
      if (element) { element.style.display = show ? '' : 'none'; }
    });
    relabel();
  }

  function timeControl() {
    var Time = L.Control.extend({
      options: {position: 'bottomright'},
      onAdd: function () {
        var box = L.DomUtil.create('div', 'mapdata-time leaflet-bar');
        box.innerHTML = '<button type="button" class="mapdata-play" aria-label="Play through time">&#9654;</button>'
          + '<input type="range" class="mapdata-period" min="0" value="0" aria-label="Period">'
          + '<span class="mapdata-period-label">all periods</span>'
          + '<button type="button" class="mapdata-all" aria-label="Show all periods">all</button>';
        L.DomEvent.disableClickPropagation(box);
        L.DomEvent.disableScrollPropagation(box);
        var play = box.querySelector('.mapdata-play'), range = box.querySelector('.mapdata-period');
        var label = box.querySelector('.mapdata-period-label'), all = box.querySelector('.mapdata-all');
        function show(i) {
          var t = M.time;
          t.at = i;
          range.value = i === null ? 0 : i;
          label.textContent = i === null ? 'all periods' : (t.options.unit === 'week' ? 'week of ' : '') + t.options.periods[i];
          applyTime();
        }
        function stop() { if (M.time.timer) { clearInterval(M.time.timer); M.time.timer = null; play.innerHTML = '&#9654;'; } }
        L.DomEvent.on(range, 'input', function () { stop(); show(parseInt(range.value, 10)); });
        L.DomEvent.on(all, 'click', function () { stop(); show(null); });
        L.DomEvent.on(play, 'click', function () {
          var t = M.time;
          if (t.timer) { stop(); return; }
          play.innerHTML = '&#10074;&#10074;';
          show(t.at === null || t.at >= t.options.periods.length - 1 ? 0 : t.at + 1);
          t.timer = setInterval(function () {
            if (t.at >= t.options.periods.length - 1) { stop(); return; }
            show(t.at + 1);
          }, 700);
        });
        this.update = function (options) {
          stop();
          range.max = Math.max(0, options.periods.length - 1);
          show(null);
        };
        return box;
      }
    });
    return new Time();
  }

  // ------------------------------------------------------------------------------------------ chrome

  // options: {html: the legend's HTML (no news text in it)}: a small button that opens the legend
  function legend(map, options) {
    var Legend = L.Control.extend({
      options: {position: 'bottomleft'},
      onAdd: function () {
        var box = L.DomUtil.create('div', 'mapdata-legend');
        box.innerHTML = '<button type="button" class="mapdata-legend-toggle" aria-expanded="false">Legend</button>'
          + '<div class="mapdata-legend-body" hidden>' + options.html + '</div>';
        var toggle = box.querySelector('button'), body = box.querySelector('.mapdata-legend-body');
        L.DomEvent.on(toggle, 'click', function (e) {
          L.DomEvent.stop(e);
          body.hidden = !body.hidden;
          toggle.setAttribute('aria-expanded', String(!body.hidden));
        });
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
        L.DomEvent.disableClickPropagation(bar);
        return bar;
      }
    });
    new Full().addTo(map);
  }

  return {snippets: snippets, basemap: basemap, lines: lines, actors: actors, choropleth: choropleth,
    density: density, startHidden: startHidden, timeline: timeline, legend: legend, fullscreen: fullscreen};
})();
