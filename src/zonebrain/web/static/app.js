/* ZoneBrain cockpit charts. Each <div class="chart" data-chart="KIND" data-source="ID"> reads its data
 * from <script type="application/json" id="ID"> and is drawn with ECharts (installed from npm into
 * static/vendor/ at setup; never from a CDN). A drawn chart gets data-rendered="1" (the browser tests
 * wait for it). Money arrives as integer fen and is shown in 万元 here, for display only. */
(function () {
  "use strict";
  var COLORS = { present: "#1a7f37", thin: "#d4a72c", absent: "#a0a7b0" };
  var FEN_PER_WAN = 1000000;
  function wan(fen) { return fen === null || fen === undefined ? null : Math.round(fen / 10000) / 100; }
  function data(el) { return JSON.parse(document.getElementById(el.dataset.source).textContent); }
  var grid = { left: 60, right: 30, top: 40, bottom: 50, containLabel: true };

  var builders = {
    "park-bars": function (d) {
      return {
        tooltip: { trigger: "axis" }, legend: { top: 0 }, grid: grid,
        xAxis: { type: "category", data: d.parks },
        yAxis: [{ type: "value", name: d.labels.enterprises }, { type: "value", name: d.labels.revenue }],
        series: [
          { name: d.labels.enterprises, type: "bar", data: d.enterprises },
          { name: d.labels.revenue, type: "bar", yAxisIndex: 1, data: d.revenue_fen.map(wan) }
        ]
      };
    },
    "heatmap": function (d) {
      return {
        tooltip: { position: "top", formatter: function (p) {
          return d.chains[p.value[1]] + " · " + d.parks[p.value[0]] + ": " + p.value[2]; } },
        grid: { left: 110, right: 20, top: 10, bottom: 70 },
        xAxis: { type: "category", data: d.parks, splitArea: { show: true } },
        yAxis: { type: "category", data: d.chains, splitArea: { show: true } },
        visualMap: { min: 0, max: Math.max(1, d.max), calculable: true, orient: "horizontal", left: "center", bottom: 0,
                     inRange: { color: ["#f3f6fa", "#9ecae1", "#0b5cad"] } },
        series: [{ type: "heatmap", data: d.cells, label: { show: true }, name: d.labels.firms }]
      };
    },
    "section-bars": function (d) {
      return {
        tooltip: { trigger: "axis" }, grid: { left: 10, right: 40, top: 10, bottom: 20, containLabel: true },
        xAxis: { type: "value", name: d.labels.revenue },
        yAxis: { type: "category", data: d.names.slice().reverse(), axisLabel: { width: 150, overflow: "truncate" } },
        series: [{ type: "bar", name: d.labels.revenue, data: d.revenue_fen.map(wan).reverse() }]
      };
    },
    "class-bars": function (d) {
      return {
        tooltip: { trigger: "axis" }, grid: { left: 10, right: 40, top: 10, bottom: 20, containLabel: true },
        xAxis: { type: "value", name: d.labels.revenue },
        yAxis: { type: "category", data: d.names.slice().reverse(), axisLabel: { width: 220, overflow: "truncate" } },
        series: [{ type: "bar", name: d.labels.revenue, data: d.revenue_fen.map(wan).reverse(), itemStyle: { color: "#0b5cad" } }]
      };
    },
    "trend-lines": lines,
    "finance-lines": lines,
    "chain-graph": function (d, el) {
      var stages = ["upstream", "midstream", "downstream"];
      var counts = {};
      d.nodes.forEach(function (n) { counts[n.x] = Math.max(counts[n.x] || 0, n.y + 1); });
      var nodes = d.nodes.map(function (n) {
        var rows = counts[n.x] || 1;
        return {
          id: n.id, name: n.name, value: n.firms, x: n.x * 400, y: (n.y + 0.5) * (600 / rows),
          symbolSize: 18 + Math.min(30, Math.sqrt(n.firms) * 5),
          itemStyle: { color: COLORS[n.presence] },
          label: { show: true, position: "right", formatter: n.name + " (" + n.firms + ")" }
        };
      });
      return {
        tooltip: { formatter: function (p) { return p.dataType === "node" ? p.data.name + "<br>" + d.labels.firms + ": " + p.data.value : ""; } },
        graphic: stages.map(function (s, i) {
          return { type: "text", left: (8 + i * 33) + "%", top: 4, style: { text: d.labels[s], font: "bold 14px sans-serif", fill: "#656d76" } };
        }),
        series: [{
          type: "graph", layout: "none", roam: true, top: 40, bottom: 20, left: 40, right: 160,
          data: nodes, edges: d.edges, edgeSymbol: ["none", "arrow"], edgeSymbolSize: 8,
          lineStyle: { color: "#8c959f", curveness: 0.15 }, emphasis: { focus: "adjacency" }
        }]
      };
    },
    "scatter": function (d) {
      function fmt(p) { return p.value[2] + " " + p.value[3] + "<br>" + d.labels.x + ": " + p.value[0] + "<br>" + d.labels.y + ": " + p.value[1]; }
      return {
        tooltip: { formatter: fmt }, legend: { top: 0 }, grid: grid,
        xAxis: { type: "value", name: d.labels.x, scale: true }, yAxis: { type: "value", name: d.labels.y, scale: true },
        series: [
          { name: d.labels.absent, type: "scatter", symbolSize: 5, data: d.absent, itemStyle: { color: COLORS.absent, opacity: 0.6 } },
          { name: d.labels.present, type: "scatter", symbolSize: 7, data: d.present, itemStyle: { color: COLORS.present } }
        ]
      };
    },
    "kpi-lines": function (d) {
      return {
        tooltip: { trigger: "axis" }, legend: { top: 0, type: "scroll" }, grid: grid,
        xAxis: { type: "category", data: d.months }, yAxis: { type: "value", name: d.unit },
        series: d.series.map(function (s) {
          return { name: s.name, type: "line", smooth: true, data: d.money ? s.ytd.map(wan) : s.ytd };
        })
      };
    },
    "eci-bars": function (d) {
      var items = d.items.slice().reverse();
      return {
        tooltip: { trigger: "axis" }, grid: { left: 10, right: 30, top: 10, bottom: 20, containLabel: true },
        xAxis: { type: "value", name: d.label }, yAxis: { type: "category", data: items.map(function (x) { return x.name; }) },
        series: [{ type: "bar", data: items.map(function (x) {
          return { value: x.eci, itemStyle: { color: x.zone ? "#cf222e" : "#0b5cad" } }; }) }]
      };
    }
  };

  function lines(d) {
    return {
      tooltip: { trigger: "axis" }, legend: { top: 0 }, grid: grid,
      xAxis: { type: "category", data: d.years }, yAxis: { type: "value", name: d.unit },
      series: d.series.map(function (s) { return { name: s.name, type: "line", smooth: true, data: s.fen.map(wan) }; })
    };
  }

  function draw(el) {
    if (el.dataset.rendered || typeof echarts === "undefined") { return; }
    var build = builders[el.dataset.chart];
    if (!build) { return; }
    var d = data(el);
    var chart = echarts.init(el, null, { renderer: "canvas" });
    chart.on("finished", function () { el.dataset.rendered = "1"; });
    chart.setOption(build(d, el));
    if (el.dataset.chart === "chain-graph" && d.can_list) {
      chart.on("click", function (p) {
        if (p.dataType !== "node" || typeof htmx === "undefined") { return; }
        htmx.ajax("GET", "/chains/" + encodeURIComponent(d.chain) + "/nodes/" + encodeURIComponent(p.data.id),
                  { target: "#node-firms", swap: "innerHTML" });
      });
      el.zbChart = chart;
    }
    window.addEventListener("resize", function () { chart.resize(); });
  }

  function drawAll(root) { (root || document).querySelectorAll(".chart").forEach(draw); }
  document.addEventListener("DOMContentLoaded", function () { drawAll(document); });
  document.addEventListener("htmx:afterSwap", function (e) { drawAll(e.target); });
  window.zonebrain = { drawAll: drawAll, FEN_PER_WAN: FEN_PER_WAN };
})();
