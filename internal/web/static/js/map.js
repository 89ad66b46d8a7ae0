// The dependency map: draws /map/data with Cytoscape and a layered (dagre) layout. The server
// has already chosen and, for a large estate, clustered what to draw; this script only lays it
// out, styles it, and answers clicks. The page's table has the same nodes and links for those
// who do not use the drawing. When the layout is done #map gets data-ready="true" and
// data-nodes="<count>" (the browser tests wait for them).
(function () {
  "use strict";
  var el = document.getElementById("map");
  if (!el) return;
  var panel = document.getElementById("map-panel");
  var printImg = document.getElementById("map-print");
  var max = parseInt(el.dataset.max, 10) || 600;
  var cy = null;

  function done(count, error) {
    el.dataset.nodes = String(count);
    if (error) el.dataset.error = error;
    el.dataset.ready = "true";
  }

  function message(text) {
    el.textContent = "";
    var p = document.createElement("p");
    p.className = "map-message";
    p.textContent = text;
    el.appendChild(p);
  }

  if (typeof cytoscape === "undefined") {
    message("The drawing library did not load; the table below has the same nodes and links.");
    done(0, "no cytoscape");
    return;
  }
  if (typeof cytoscapeDagre !== "undefined") cytoscape.use(cytoscapeDagre);

  var tierColour = ["#b42318", "#c2410c", "#8a5300", "#1a7f37", "#57606a"];
  var style = [
    { selector: "node", style: {
      "width": 26, "height": 26, "background-color": "#ffffff", "border-width": 2, "border-color": "#57606a",
      "label": "data(label)", "font-size": 10, "color": "#1b1f24", "text-valign": "bottom", "text-margin-y": 3,
      "text-background-color": "#ffffff", "text-background-opacity": 0.85, "text-background-padding": 1,
      "text-wrap": "ellipsis", "text-max-width": 140, "min-zoomed-font-size": 5 } },
    { selector: "node[kind = 'service']", style: { "shape": "round-rectangle", "width": 34, "height": 22 } },
    { selector: "node[kind = 'function']", style: { "shape": "hexagon", "width": 38, "height": 30, "background-color": "#0b5cad", "border-color": "#0b3c73" } },
    { selector: "node[kind = 'site']", style: { "shape": "round-triangle", "width": 32, "height": 28, "background-color": "#5b3e96", "border-color": "#3b2766" } },
    { selector: "node[kind = 'provider']", style: { "shape": "diamond", "width": 30, "height": 30, "background-color": "#0f6b6b", "border-color": "#0a4747" } },
    { selector: "node[kind = 'group']", style: { "shape": "ellipse", "width": 16, "height": 16, "border-style": "dashed", "font-size": 9, "color": "#57606a" } },
    { selector: "node[kind = 'cluster']", style: {
      "shape": "round-rectangle", "width": "mapData(count, 1, 600, 60, 160)", "height": "mapData(count, 1, 600, 34, 90)",
      "background-color": "#ddf4ff", "border-color": "#0b5cad", "border-width": 3, "text-valign": "center", "text-margin-y": 0,
      "text-wrap": "wrap", "text-max-width": 150, "font-size": 11, "font-weight": "bold", "text-background-opacity": 0 } }
  ];
  tierColour.forEach(function (c, t) {
    style.push({ selector: "node[kind = 'service'][tier = " + t + "]", style: { "background-color": c } });
  });
  // Landmarks are labelled larger, so that a whole estate fitted on the screen still reads:
  // the business functions, sites and providers, and the tier 0 services.
  style.push({ selector: "node[kind = 'function'], node[kind = 'site'], node[kind = 'provider']", style: { "font-size": 18, "font-weight": "bold", "text-max-width": 220 } });
  style.push({ selector: "node[kind = 'service'][tier = 0]", style: { "font-size": 14 } });
  style = style.concat([
    { selector: "node[?spof]", style: { "border-width": 4, "border-color": "#1b1f24" } },
    { selector: "node[warn][kind != 'cluster']", style: { "border-color": "#b42318", "border-style": "double", "border-width": 6, "background-color": "#fff3cd" } },
    // With a failure overlay the fill tells the state, not the tier.
    { selector: "node.overlay", style: { "background-color": "#eef1f4", "border-color": "#8c959f", "border-width": 2 } },
    { selector: "node.overlay[state = 'degraded']", style: { "background-color": "#f0b429", "border-color": "#8a5300", "border-style": "dashed", "border-width": 3 } },
    { selector: "node.overlay[state = 'down']", style: { "background-color": "#b42318", "border-color": "#6e1111", "border-width": 3 } },
    { selector: "node.overlay[state = 'failed']", style: { "background-color": "#1b1f24", "border-color": "#b42318", "border-width": 5 } },
    { selector: "node.overlay[kind = 'cluster'][degraded > 0]", style: { "background-color": "#fff3cd", "border-color": "#8a5300" } },
    { selector: "node.overlay[kind = 'cluster'][down > 0]", style: { "background-color": "#ffebe9", "border-color": "#b42318", "border-width": 4 } },
    { selector: "node[?focus]", style: { "underlay-color": "#f59e0b", "underlay-opacity": 0.6, "underlay-padding": 7 } },
    { selector: "node:selected", style: { "overlay-color": "#0b5cad", "overlay-opacity": 0.25, "overlay-padding": 6 } },
    { selector: "edge", style: {
      "width": 1.5, "line-color": "#8c959f", "target-arrow-color": "#8c959f", "target-arrow-shape": "triangle",
      "arrow-scale": 0.8, "curve-style": "bezier" } },
    { selector: "edge[kind = 'soft']", style: { "line-style": "dashed" } },
    { selector: "edge[kind = 'runsAt']", style: { "line-color": "#5b3e96", "target-arrow-color": "#5b3e96", "line-style": "dotted", "width": 2 } },
    { selector: "edge[kind = 'provider']", style: { "line-color": "#0f6b6b", "target-arrow-color": "#0f6b6b", "line-style": "dotted", "width": 2 } },
    { selector: "edge[kind = 'function']", style: { "line-color": "#0b5cad", "target-arrow-color": "#0b5cad" } },
    { selector: "edge[kind = 'member']", style: { "width": 1, "target-arrow-shape": "none" } },
    { selector: "edge[kind = 'aggregate']", style: {
      "width": "mapData(count, 1, 200, 1.5, 9)", "line-color": "#6a9fd4", "target-arrow-color": "#0b5cad",
      "label": "data(count)", "font-size": 9, "color": "#0b3c73", "text-background-color": "#ffffff", "text-background-opacity": 0.9 } },
    { selector: "node[?outside]", style: { "background-color": "#f6f8fa", "border-color": "#8c959f", "border-style": "dashed", "border-width": 2, "color": "#57606a", "font-weight": "normal" } },
    { selector: "edge[?outside]", style: { "width": 1, "line-color": "#c5ccd3", "target-arrow-color": "#c5ccd3", "label": "", "line-style": "dashed" } },
    { selector: "edge[?warn]", style: { "line-color": "#b42318", "target-arrow-color": "#b42318", "width": 2.5 } }
  ]);

  function add(parent, tag, text, cls) {
    var n = document.createElement(tag);
    if (text !== undefined && text !== null) n.textContent = text;
    if (cls) n.className = cls;
    parent.appendChild(n);
    return n;
  }

  function link(parent, href, text) {
    var li = add(parent, "li");
    var a = add(li, "a", text);
    a.href = href;
    return a;
  }

  var kindName = { service: "Service", site: "Site", provider: "Provider", "function": "Business function", group: "Redundancy group", cluster: "Cluster" };
  var stateName = { failed: "failed (in the failure set)", down: "down", degraded: "degraded" };

  function show(node) {
    var d = node.data();
    panel.textContent = "";
    add(panel, "h2", d.kind === "group" ? d.label + " (" + d["for"].split("/")[1] + ")" : d.label);
    var dl = add(panel, "dl", null, "props");
    function prop(k, v) { if (v === undefined || v === null || v === "") return; add(dl, "dt", k); add(dl, "dd", String(v)); }
    prop("Kind", kindName[d.kind] || d.kind);
    prop("Title", d.title);
    if (d.tier !== undefined) prop("Tier", d.tier);
    prop("Type", d.type);
    prop("Owner", d.owner);
    prop("State", stateName[d.state]);
    if (d.kind === "cluster") {
      prop("Objects", d.count);
      if (d.down || d.degraded) prop("In the failure", (d.down || 0) + " down, " + (d.degraded || 0) + " degraded");
    }
    if (d.kind === "group") prop("Needs", d.need + " of " + d.of + " members");
    if (d.warn) add(panel, "p", d.warn, "warn");
    if (d.spof) add(panel, "p", "A single point of failure of a business function or a tier 0–1 service.", "bad");
    if (d.misses) add(panel, "p", "Its worst single failure keeps it down past its target.", "bad");
    var ul = add(panel, "ul");
    if (d.url) link(ul, d.url, "Open its page");
    if (d.focusUrl && !d.focus) link(ul, d.focusUrl, "Focus the map here");
    if (d.drill) link(ul, d.drill, "Open this cluster");
    if (d["for"]) link(ul, "/services/" + encodeURIComponent(d["for"].split("/")[1]), "Open " + d["for"]);
    // A group is named with its members: "any of 2 (orders-db-primary, orders-db-replica)".
    function name(n) {
      if (n.data("kind") !== "group") return n.data("label").replace(/\n/g, " ");
      return n.data("label") + " (" + n.outgoers("node").map(function (m) { return m.data("label"); }).join(", ") + ")";
    }
    var needs = node.outgoers("node").map(name);
    var needed = node.incomers("node").map(function (n) {
      return n.data("kind") === "group" ? n.data("for").split("/")[1] + " via " + n.data("label") : name(n);
    });
    if (needs.length) add(panel, "p", "Needs: " + needs.slice(0, 12).join(", ") + (needs.length > 12 ? ", …" : ""));
    if (needed.length) add(panel, "p", "Needed by: " + needed.slice(0, 12).join(", ") + (needed.length > 12 ? ", …" : ""));
  }

  var rank = el.dataset.rank === "TB" ? "TB" : "LR";

  function layout() {
    if (!cy) return;
    var l = cy.layout({ name: typeof cytoscapeDagre !== "undefined" ? "dagre" : "breadthfirst",
      rankDir: rank, nodeSep: 18, rankSep: 70, edgeSep: 8,
      fit: true, padding: 24, animate: false, directed: true });
    l.one("layoutstop", function () {
      // Fit the frame to the drawing: a wide, flat map should not sit in a tall empty box.
      var bb = cy.elements().boundingBox();
      if (bb.w > 0) {
        var h = Math.max(360, Math.min(window.innerHeight * 0.75, el.clientWidth * bb.h / bb.w + 60));
        el.style.height = Math.round(h) + "px";
        cy.resize();
        cy.fit(undefined, 24);
      }
      done(cy.nodes().length);
    });
    l.run();
  }

  function draw(data) {
    if (data.meta && data.meta.rankDir) rank = data.meta.rankDir;
    // On a narrow screen a map reads better downwards, unless the user chose.
    if (el.dataset.rankAuto === "true" && el.clientWidth < 600) rank = "TB";
    var nodes = data.elements.nodes || [], edges = data.elements.edges || [];
    if (nodes.length === 0) {
      message("Nothing matches this selection. Widen the filters or choose another focus.");
      done(0);
      return;
    }
    if (nodes.length > max) {
      message("This map has " + nodes.length + " nodes, more than this page draws (" + max + "). Narrow the selection; the table below lists them.");
      done(0, "too many nodes");
      return;
    }
    var many = nodes.length + edges.length > 400;
    cy = cytoscape({
      container: el, elements: data.elements, style: style,
      minZoom: 0.02, maxZoom: 3, boxSelectionEnabled: false,
      textureOnViewport: many, hideEdgesOnViewport: many, motionBlur: false
    });
    if (/(^|[?&])fail=/.test(el.dataset.src)) cy.nodes().addClass("overlay");
    cy.on("tap", "node", function (e) { show(e.target); });
    cy.on("dbltap", "node[kind = 'cluster']", function (e) {
      var d = e.target.data("drill");
      if (d) window.location.assign(d);
    });
    cy.on("mouseover", "node", function () { el.style.cursor = "pointer"; });
    cy.on("mouseout", "node", function () { el.style.cursor = ""; });
    layout();
    // Keyboard users reach any node through the list: choosing one selects it, centres the
    // drawing on it and shows it in the panel.
    var pick = document.getElementById("map-pick");
    if (pick) {
      cy.nodes().sort(function (a, b) { return a.data("label").localeCompare(b.data("label")); }).forEach(function (n) {
        var o = document.createElement("option");
        o.value = n.id();
        o.textContent = n.data("kind") === "group" ? n.data("label") + " (" + n.data("for").split("/")[1] + ")" : n.data("label").replace(/\n/g, " ") + " (" + n.data("kind") + ")";
        pick.appendChild(o);
      });
      pick.disabled = false;
      pick.addEventListener("change", function () {
        var n = cy.getElementById(pick.value);
        if (!n || !n.length) return;
        cy.nodes().unselect();
        n.select();
        cy.animate({ center: { eles: n }, zoom: Math.max(cy.zoom(), 1) }, { duration: 200 });
        show(n);
      });
    }
    if (data.meta && data.meta.focus) {
      var f = cy.getElementById(data.meta.focus);
      if (f && f.length) { f.select(); show(f); }
    }
  }

  function zoom(by) {
    if (!cy) return;
    cy.zoom({ level: cy.zoom() * by, renderedPosition: { x: el.clientWidth / 2, y: el.clientHeight / 2 } });
  }
  function on(id, f) { var b = document.getElementById(id); if (b) b.addEventListener("click", f); }
  on("map-zoom-in", function () { zoom(1.25); });
  on("map-zoom-out", function () { zoom(0.8); });
  on("map-fit", function () { if (cy) cy.fit(undefined, 24); });
  on("map-relayout", layout);

  // Print: the drawing as a picture, and the table open.
  var table = document.getElementById("map-table");
  var wasOpen = false;
  window.addEventListener("beforeprint", function () {
    if (table) { wasOpen = table.open; table.open = true; }
    if (cy && printImg) {
      try { printImg.src = cy.png({ full: true, scale: 1.5, bg: "#ffffff", maxWidth: 2000 }); printImg.hidden = false; } catch (e) { /* the table prints anyway */ }
    }
  });
  window.addEventListener("afterprint", function () {
    if (table) table.open = wasOpen;
    if (printImg) printImg.hidden = true;
  });

  el.setAttribute("aria-busy", "true");
  fetch(el.dataset.src, { credentials: "same-origin", headers: { "Accept": "application/json" } })
    .then(function (r) {
      if (!r.ok) throw new Error("the server answered " + r.status);
      return r.json();
    })
    .then(function (data) { draw(data); })
    .catch(function (err) {
      message("The map could not be loaded (" + err.message + "); the table below has the same nodes and links.");
      done(0, String(err.message));
    })
    .then(function () { el.removeAttribute("aria-busy"); });
})();
