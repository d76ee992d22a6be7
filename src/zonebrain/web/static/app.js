/* ZoneBrain cockpit charts. Each <div class="chart" data-chart="KIND" data-source="ID"> reads its data
 * from <script type="application/json" id="ID"> and is drawn with ECharts (installed from npm into
 * static/vendor/ at setup; never from a CDN). A drawn chart gets data-rendered="1" (the browser tests
 * wait for it). Money arrives as integer fen and is shown in 万元 here, for display only. */
(function () {
  "use strict";
  var COLORS = { present: "#1a7f37", thin: "#d4a72c", absent: "#a0a7b0",
                 strong: "#1a7f37", weak: "#d4a72c", extension: "#54aeff", missing: "#a0a7b0" };
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
    "heatmap": function (d) {  /* cells [park, chain, class index, firms, node counts]: colour = strength class */
      var classes = d.classes || [];
      return {
        tooltip: { position: "top", formatter: function (p) {
          var v = p.value, n = v[4] || {};
          return d.chains[v[1]] + " · " + d.parks[v[0]] + "<br>" + d.labels.strength + ": " + d.labels[classes[v[2]]] +
            "<br>" + d.labels.firms + ": " + v[3] + "<br>" +
            classes.map(function (k) { return d.labels[k] + " " + (n[k] || 0); }).join(" · "); } },
        grid: { left: 110, right: 20, top: 10, bottom: 70 },
        xAxis: { type: "category", data: d.parks, splitArea: { show: true } },
        yAxis: { type: "category", data: d.chains, splitArea: { show: true } },
        visualMap: { type: "piecewise", dimension: 2, orient: "horizontal", left: "center", bottom: 0,
                     pieces: classes.map(function (k, i) { return { value: i, label: d.labels[k], color: COLORS[k] }; }) },
        series: [{ type: "heatmap", data: d.cells, name: d.labels.firms,
                   label: { show: true, formatter: function (p) { return p.value[3]; } } }]
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
      var classes = d.classes || ["strong", "weak", "extension", "missing"];
      var nodes = d.nodes.map(function (n) {
        var rows = counts[n.x] || 1;
        return {
          id: n.id, name: n.name, value: n.firms, x: n.x * 400, y: (n.y + 0.5) * (600 / rows),
          category: Math.max(0, classes.indexOf(n.strength_key)), strength: n.strength,
          symbolSize: 18 + Math.min(30, Math.sqrt(n.firms) * 5),
          itemStyle: { color: COLORS[n.strength_key] },
          label: { show: true, position: "right", formatter: n.name + " (" + n.firms + ")" }
        };
      });
      var categories = classes.map(function (k) { return { name: d.labels[k], itemStyle: { color: COLORS[k] } }; });
      return {
        tooltip: { formatter: function (p) {
          return p.dataType === "node" ? p.data.name + "<br>" + d.labels.firms + ": " + p.data.value +
            "<br>" + d.labels.strength + ": " + categories[p.data.category].name : ""; } },
        legend: { bottom: 0, data: categories.map(function (c) { return c.name; }) },
        graphic: stages.map(function (s, i) {
          return { type: "text", left: (8 + i * 33) + "%", top: 4, style: { text: d.labels[s], font: "bold 14px sans-serif", fill: "#656d76" } };
        }),
        series: [{
          type: "graph", layout: "none", roam: true, top: 40, bottom: 40, left: 40, right: 160,
          data: nodes, edges: d.edges, categories: categories, edgeSymbol: ["none", "arrow"], edgeSymbolSize: 8,
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
    "policy-bars": function (d) {
      return {
        tooltip: { trigger: "axis" }, legend: { top: 0 }, grid: grid,
        xAxis: { type: "category", data: d.clauses, axisLabel: { interval: 0, rotate: 20 } },
        yAxis: [{ type: "value", name: d.labels.firms }, { type: "value", name: d.labels.amount }],
        series: [
          { name: d.labels.eligible, type: "bar", data: d.eligible, itemStyle: { color: COLORS.present } },
          { name: d.labels.undetermined, type: "bar", data: d.undetermined, itemStyle: { color: COLORS.thin } },
          { name: d.labels.amount, type: "bar", yAxisIndex: 1, data: d.amount_fen.map(wan), itemStyle: { color: "#0b5cad" } }
        ]
      };
    },
    "whatif-bars": function (d) {  /* 政策模拟: cost per park, baseline and scenario */
      return {
        tooltip: { trigger: "axis" }, legend: { top: 0 }, grid: grid,
        xAxis: { type: "category", data: d.parks }, yAxis: { type: "value", name: d.labels.amount },
        series: [
          { name: d.labels.before, type: "bar", data: d.before_fen.map(wan), itemStyle: { color: "#a0a7b0" } },
          { name: d.labels.after, type: "bar", data: d.after_fen.map(wan), itemStyle: { color: "#0b5cad" } }
        ]
      };
    },
    "coverage-bars": function (d) {  /* 覆盖率: decided vs 待核实 decisions per policy */
      return {
        tooltip: { trigger: "axis" }, legend: { top: 0 }, grid: grid,
        xAxis: { type: "category", data: d.policies }, yAxis: { type: "value" },
        series: [
          { name: d.labels.decided, type: "bar", stack: "all", data: d.decided, itemStyle: { color: COLORS.present } },
          { name: d.labels.undetermined, type: "bar", stack: "all", data: d.undetermined, itemStyle: { color: COLORS.thin } }
        ]
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
    },
    "funnel": function (d) {  /* 项目库: projects reaching each stage, in stage order */
      var items = d.stages.map(function (s, i) { return { name: s, value: d.reached[i] }; });
      return {
        tooltip: { formatter: function (p) {
          var c = d.conversion[p.dataIndex];
          return p.name + ": " + p.value + (c === null || c === undefined ? "" : "<br>" + d.labels.conversion + ": " + Math.round(c * 100) + "%"); } },
        series: [{ type: "funnel", sort: "none", left: "10%", width: "80%", top: 10, bottom: 10, minSize: "8%", gap: 2,
                   label: { show: true, position: "inside", formatter: "{b} {c}" }, data: items, name: d.labels.reached }]
      };
    },
    "stage-days": function (d) {  /* 项目库: median days in each stage, finished and still open */
      return {
        tooltip: { trigger: "axis" }, legend: { top: 0 }, grid: grid,
        xAxis: { type: "category", data: d.stages }, yAxis: { type: "value", name: d.labels.unit },
        series: [
          { name: d.labels.done, type: "bar", data: d.median_days, itemStyle: { color: "#0b5cad" } },
          { name: d.labels.open, type: "bar", data: d.open_median_days, itemStyle: { color: "#d4a72c" } }
        ]
      };
    },
    "delivery-bars": function (d) {  /* 达产达效: rate per project (%), coloured by status, with the thresholds */
      var tint = { ok: "#1a7f37", behind: "#d4a72c", far_behind: "#cf222e" };
      var cap = 200;  /* bars stop at 200 % so one firm far above its promise does not flatten the rest */
      return {
        tooltip: { trigger: "axis", formatter: function (ps) {
          var p = ps[0]; return p.name + "<br>" + d.labels.rate + ": " + d.rate_pct[p.dataIndex] + "%"; } },
        grid: grid,
        xAxis: { type: "category", data: d.projects, axisLabel: { interval: 0, rotate: 20, width: 140, overflow: "truncate" } },
        yAxis: { type: "value", name: d.labels.rate + " (%)", max: function (v) {
          return Math.min(cap, Math.ceil(Math.max(v.max, d.behind_pct * 1.1) / 10) * 10); } },
        series: [{
          name: d.labels.rate, type: "bar",
          label: { show: true, position: "top", formatter: function (p) { return d.rate_pct[p.dataIndex] + "%"; } },
          data: d.rate_pct.map(function (v, i) {
            return { value: Math.min(v, cap), itemStyle: { color: tint[d.status[i]] || "#0b5cad" } }; }),
          markLine: { symbol: "none", label: { position: "insideEndTop", formatter: "{b} {c}%" }, data: [
            { name: d.labels.behind, yAxis: d.behind_pct, lineStyle: { color: "#d4a72c" } },
            { name: d.labels.far_behind, yAxis: d.far_behind_pct, lineStyle: { color: "#cf222e" } }
          ] }
        }]
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
  /* a refused htmx request (400, 403…) on a target marked data-swap-errors (政策模拟): the server's
     message (the error page's #error-message) is shown in place, and the stale result below it is
     greyed and marked as no longer matching the form; the next good answer replaces both */
  document.addEventListener("htmx:beforeSwap", function (e) {
    var d = e.detail, target = d.target;
    if (!d.xhr || d.xhr.status < 400 || !target || !target.hasAttribute("data-swap-errors")) { return; }
    d.shouldSwap = false;
    var page = new DOMParser().parseFromString(d.xhr.responseText || "", "text/html");
    var found = page.getElementById("error-message");
    var box = target.querySelector(".inline-error");
    if (!box) {
      box = document.createElement("p");
      box.className = "inline-error";
      box.setAttribute("role", "alert");
      box.id = target.id + "-error";
      target.insertBefore(box, target.firstChild);
    }
    box.textContent = found ? found.textContent.trim() : String(d.xhr.status);
    var stale = target.querySelectorAll(":scope > :not(.inline-error)");
    stale.forEach(function (el) {
      el.classList.add("stale");
      if (target.dataset.staleNote) { el.setAttribute("title", target.dataset.staleNote); }
    });
    if (stale.length && target.dataset.staleNote) {
      var note = document.createElement("small");
      note.className = "stale-note";
      note.textContent = " " + target.dataset.staleNote;
      box.appendChild(note);
    }
  });
  /* a slider and its text field keep each other's value (政策模拟); the text field is the one submitted */
  document.addEventListener("input", function (e) {
    var id = e.target.dataset ? e.target.dataset.mirror : null, other = id ? document.getElementById(id) : null;
    if (other) { other.value = e.target.value; }
  });
  window.zonebrain = { drawAll: drawAll, FEN_PER_WAN: FEN_PER_WAN };
})();
