// The cluster network: fetch the cluster's JSON from the workbench's own API and draw its
// members and ties with the vendored cytoscape.js. Labels are set as text by cytoscape
// (drawn on a canvas), never as HTML, so a hostile handle cannot become markup.
(function () {
  "use strict";
  function draw(el, data) {
    var elements = [];
    data.members.forEach(function (m) {
      elements.push({ data: {
        id: m.node_id,
        label: m.handle ? "@" + m.handle : m.account_id,
        flagged: m.flagged ? 1 : 0,
        url: "/accounts/" + encodeURIComponent(m.platform) + "/" + encodeURIComponent(m.account_id)
      } });
    });
    data.edges.forEach(function (e, i) {
      elements.push({ data: { id: "e" + i, source: e.source, target: e.target,
                              strength: e.strength } });
    });
    var max = data.edges.reduce(function (a, e) { return Math.max(a, e.strength || 0); }, 0) || 1;
    var cy = cytoscape({
      container: el,
      elements: elements,
      layout: { name: data.members.length > 300 ? "circle" : "cose", animate: false,
                nodeRepulsion: function () { return 40000; }, idealEdgeLength: function () { return 60; },
                padding: 30 },
      wheelSensitivity: 0.3,
      style: [
        { selector: "node", style: {
          "background-color": "#4a6fa5", "label": "data(label)", "font-size": 8,
          "width": 14, "height": 14, "color": "#333", "text-valign": "bottom" } },
        { selector: "node[flagged = 1]", style: { "background-color": "#b22222" } },
        // names of a crowded network only on the node under the pointer or selected
        { selector: "node.quiet", style: { "text-opacity": 0 } },
        { selector: "node.quiet:selected, node.quiet.hover", style: { "text-opacity": 1 } },
        { selector: "edge", style: {
          "line-color": "#999", "opacity": 0.6,
          "width": function (e) { return 0.5 + 3 * (e.data("strength") || 0) / max; } } }
      ]
    });
    if (data.members.length > 25) { cy.nodes().addClass("quiet"); }
    cy.on("mouseover", "node", function (evt) { evt.target.addClass("hover"); });
    cy.on("mouseout", "node", function (evt) { evt.target.removeClass("hover"); });
    // a small network is not blown up to fill the box
    if (cy.zoom() > 1.5) { cy.zoom(1.5); cy.center(); }
    cy.on("tap", "node", function (evt) { window.location.assign(evt.target.data("url")); });
    el.setAttribute("data-nodes", String(cy.nodes().length));
    el.setAttribute("data-edges", String(cy.edges().length));
  }
  document.addEventListener("DOMContentLoaded", function () {
    var el = document.getElementById("graph");
    if (!el || typeof cytoscape === "undefined") { return; }
    fetch(el.getAttribute("data-src"), { credentials: "same-origin",
                                          headers: { "Accept": "application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error("HTTP " + r.status); } return r.json(); })
      .then(function (data) { draw(el, data); })
      .catch(function (err) { el.textContent = "The network could not be drawn: " + err.message; });
  });
})();
