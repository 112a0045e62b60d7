// The paper page's neighbourhood picture: Cytoscape over the JSON the page carries; a click (or Enter on the
// focused graph, which opens the centre) opens a node's page. The same nodes are listed as links below it.
(function () {
  "use strict";
  var box = document.getElementById("graph");
  var source = document.getElementById("graph-data");
  if (!box || !source || typeof window.cytoscape !== "function") { return; }
  var data = JSON.parse(source.textContent);
  var colours = {Paper: "#5b6770", Technique: "#2a6fb0", Model: "#7b4fa0", Hardware: "#c46a12",
                 Dataset: "#2e8540", Software: "#0e7c86"};
  var elements = data.nodes.map(function (n) {
    return {data: {id: n.id, label: n.label, name: n.name, type: n.type, href: n.href,
                   colour: colours[n.type] || "#555", centre: n.id === data.center ? 1 : 0}};
  }).concat(data.edges.map(function (e, i) {
    return {data: {id: "e" + i, source: e.source, target: e.target, label: e.label}};
  }));
  var cy = window.cytoscape({
    container: box,
    elements: elements,
    wheelSensitivity: 0.3,
    style: [
      {selector: "node", style: {"background-color": "data(colour)", "label": "data(label)", "font-size": 11,
        "color": "#1b1b1b", "text-valign": "bottom", "text-margin-y": 4, "width": 18, "height": 18,
        "text-wrap": "ellipsis", "text-max-width": 140}},
      {selector: "node[centre = 1]", style: {"width": 30, "height": 30, "border-width": 3, "border-color": "#111"}},
      {selector: "edge", style: {"width": 1.5, "line-color": "#b8c0c8", "target-arrow-color": "#b8c0c8",
        "target-arrow-shape": "triangle", "curve-style": "bezier", "label": "data(label)", "font-size": 9,
        "color": "#666", "text-rotation": "autorotate", "text-background-color": "#fff",
        "text-background-opacity": 0.8}},
      {selector: "node:active, node.hover", style: {"overlay-opacity": 0.15}}
    ],
    layout: {name: "concentric", animate: false, padding: 30, minNodeSpacing: 70,
             concentric: function (n) { return n.data("centre") ? 2 : 1; }, levelWidth: function () { return 1; }}
  });
  cy.on("tap", "node", function (event) { window.location.href = event.target.data("href"); });
  cy.on("mouseover", "node", function (event) { event.target.addClass("hover"); box.style.cursor = "pointer"; });
  cy.on("mouseout", "node", function (event) { event.target.removeClass("hover"); box.style.cursor = ""; });
  window.paperkgGraph = cy;
  box.setAttribute("data-ready", "true");
})();
