/* The maps' own base layer, drawn from the platform's data so that a map reads with no network:
 * community (村/社区) outlines, lightly filled and labelled with their names, and grid outlines labelled
 * with their names from a closer zoom on. When the deployment sets GONGZHI_TILE_URL, that tile layer
 * goes under them, with a layer control to switch it off. Included by templates/web/_basemap.html,
 * whose script tag carries the data URLs, the tile URL and the translated control labels.
 *
 *   var base = GongzhiBasemap.add(map, {gridOutlines: false});  // the page draws its own grids
 *   base.ready.then(function () { ... });
 */
(function () {
  "use strict";
  var me = document.currentScript;
  var conf = me ? me.dataset : {};
  var GRID_LABEL_ZOOM = 15;
  var cache = {};

  function getJSON(url) {
    if (!url) { return Promise.resolve({type: "FeatureCollection", features: []}); }
    if (!cache[url]) {
      cache[url] = fetch(url, {credentials: "same-origin"}).then(function (r) {
        if (!r.ok) { throw new Error(url + ": " + r.status); }
        return r.json();
      }).catch(function (err) { delete cache[url]; throw err; });
    }
    return cache[url];
  }

  function label(latlng, text, kind) {
    var span = document.createElement("span");
    span.textContent = text;
    return L.marker(latlng, {
      icon: L.divIcon({className: "gz-label gz-label-" + kind, html: span, iconSize: null}),
      interactive: false,
      keyboard: false,
      pane: "gzLabels"
    });
  }

  function add(map, options) {
    options = options || {};
    var tilesUrl = options.tiles !== undefined ? options.tiles : (map.getContainer().dataset.tiles || conf.tiles || "");
    var gridZoom = options.gridLabelZoom || GRID_LABEL_ZOOM;
    map.getContainer().classList.add("gz-basemap");
    if (!map.getPane("gzLabels")) {
      map.createPane("gzLabels").style.zIndex = 450;  // above the shapes (400), under markers (600)
      map.getPane("gzLabels").style.pointerEvents = "none";
    }
    var communities = L.geoJSON(null, {
      interactive: false,
      style: function () { return {color: "#5d4037", weight: 2, opacity: 0.8, fillColor: "#d7ccc8", fillOpacity: 0.18, dashArray: "6 4"}; }
    });
    var communityLabels = L.layerGroup();
    var grids = L.geoJSON(null, {
      interactive: false,
      style: function () { return {color: "#78909c", weight: 1, opacity: 0.8, fillOpacity: 0}; }
    });
    var gridLabels = L.layerGroup();
    var communitiesGroup = L.featureGroup([communities, communityLabels]).addTo(map);
    var gridsGroup = L.featureGroup([gridLabels]).addTo(map);
    if (options.gridOutlines !== false) { gridsGroup.addLayer(grids); }

    var tiles = null;
    if (tilesUrl) {
      tiles = L.tileLayer(tilesUrl, {maxZoom: 19, attribution: conf.attribution || ""}).addTo(map);
      var bases = {};
      bases[conf.tTiles || "Online map"] = tiles;
      bases[conf.tPlain || "Plain"] = L.layerGroup();
      var overlays = {};
      overlays[conf.tCommunities || "Communities"] = communitiesGroup;
      overlays[conf.tGrids || "Grids"] = gridsGroup;
      L.control.layers(bases, overlays, {collapsed: true}).addTo(map);
    }

    function zoomed() {
      map.getContainer().classList.toggle("gz-grid-labels", map.getZoom() >= gridZoom);
    }
    map.on("zoomend", zoomed);
    zoomed();

    var ready = Promise.all([
      getJSON(conf.communities).then(function (fc) {
        communities.addData(fc);
        communities.bringToBack();
        fc.features.forEach(function (f) {
          var p = f.properties, at = p.label;
          communityLabels.addLayer(label([at[1], at[0]], p.name, "community"));
        });
      }),
      getJSON(conf.grids).then(function (fc) {
        grids.addData(fc);
        fc.features.forEach(function (f) {
          var b = L.geoJSON(f).getBounds();
          if (b.isValid()) { gridLabels.addLayer(label(b.getCenter(), f.properties.name, "grid")); }
        });
      })
    ]).then(function () {
      map.getContainer().dataset.basemap = "ready";
    }, function (err) {
      map.getContainer().dataset.basemap = "failed";
      if (window.console) { console.warn("basemap:", err); }
    });
    return {communities: communitiesGroup, grids: gridsGroup, tiles: tiles, ready: ready};
  }

  window.GongzhiBasemap = {add: add};
})();
