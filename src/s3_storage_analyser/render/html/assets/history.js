/* s3-storage-analyser's history view: line charts of bytes (or monthly cost) over the stored snapshots,
   drawn with ECharts from the JSON data block whose id is s3sa-history (history.html.j2).
   One series per (line, strategy): a CloudWatch point and a listing point measure differently, so they are
   never joined; a point of another strategy is a gap (null). Data is only ever written with textContent. */
(function () {
  "use strict";
  var block = document.getElementById("s3sa-history");
  var box = document.getElementById("history-chart");
  if (!block || !box || typeof echarts === "undefined") return;
  var h = JSON.parse(block.textContent);
  var snaps = h.Snapshots;
  var PALETTE = ["#1f5fbf", "#d9822b", "#2e9e5b", "#c23b4e", "#7b56c2", "#1b9aaa", "#8c6d1f", "#e0559b", "#5b6474", "#6aa121"];
  var DASHES = ["solid", "dashed", "dotted"];
  var SYMBOLS = ["circle", "triangle", "rect", "diamond", "pin"];

  var humanBytes = S3SA.humanBytes, count = S3SA.count, humanMoney = S3SA.humanMoney, shown = S3SA.shown, el = S3SA.el; /* common.js */
  function label(s) { return (s.Id === null ? "this report" : "#" + s.Id) + " " + s.TakenAt.slice(0, 10); }

  /* The lines of a view: a name and one value per snapshot (exact integers, or decimal strings for cost). */
  function lines(view, measure) {
    var key = measure === "cost" ? "CostPerMonth" : "Bytes";
    if (view === "classes") return h.Classes.filter(function (c) { return c[key]; }).map(function (c) { return { name: c.Name, values: c[key] }; });
    if (view === "buckets") return (h.Buckets || []).filter(function (b) { return b[key]; }).map(function (b) { return { name: shown(b.Bucket), values: b[key] }; });
    return [{ name: h.Bucket === null ? "Total" : shown(h.Bucket), values: snaps.map(function (s) { return s[key] === undefined ? null : s[key]; }) }];
  }

  var meta = []; /* per series index: its line's name, its strategy, its exact values */
  function option(view, measure) {
    var series = [];
    meta = [];
    lines(view, measure).forEach(function (line, li) {
      h.Strategies.forEach(function (strategy, si) {
        var data = snaps.map(function (s, i) {
          var v = line.values[i];
          return s.Strategy === strategy && v !== null && v !== undefined ? Number(v) : null;
        });
        if (data.every(function (v) { return v === null; })) return;
        var color = PALETTE[li % PALETTE.length];
        meta.push({ line: line.name, strategy: shown(strategy), values: line.values });
        series.push({
          type: "line",
          id: view + "/" + li + "/" + si,
          name: line.name + " · " + shown(strategy),
          data: data,
          connectNulls: false,
          showSymbol: true,
          symbol: SYMBOLS[si % SYMBOLS.length],
          symbolSize: 7,
          lineStyle: { type: DASHES[si % DASHES.length], color: color, width: 2 },
          itemStyle: { color: color }
        });
      });
    });
    var axisLabel = measure === "cost" ? function (v) { return humanMoney(String(v)); } : function (v) { return humanBytes(v); };
    return {
      animation: false,
      grid: { left: 90, right: 24, top: 24, bottom: 96 },
      legend: { type: "scroll", bottom: 0, left: 0, right: 0 },
      tooltip: { trigger: "item", confine: true, formatter: tooltip(measure) },
      xAxis: { type: "category", data: snaps.map(label), boundaryGap: false, axisLabel: { hideOverlap: true } },
      yAxis: { type: "value", min: 0, axisLabel: { formatter: axisLabel } },
      title: series.length ? { show: false } : { text: "No numbers for this view", left: "center", top: "middle", textStyle: { color: "#5b6474", fontSize: 14 } },
      series: series
    };
  }

  /* An element, not HTML text: ECharts appends it; names are set with textContent. */
  function tooltip(measure) {
    return function (p) {
      var m = meta[p.seriesIndex], s = snaps[p.dataIndex], v = m.values[p.dataIndex];
      var node = document.createElement("div");
      node.className = "history-tip";
      node.appendChild(el("strong", m.line));
      node.appendChild(el("div", "strategy: " + m.strategy));
      node.appendChild(el("div", (s.Id === null ? "this report" : "snapshot " + s.Id) + ", " + s.TakenAt));
      node.appendChild(el("div", measure === "cost"
        ? humanMoney(v) + " per month" + (v === null ? "" : " (" + v + " " + (h.Currency || "USD") + ")")
        : humanBytes(v) + " (" + count(v) + " bytes)"));
      return node;
    };
  }

  var chart = echarts.init(box, null, { renderer: "canvas" });
  var state = { view: "total", measure: "bytes" };
  function draw() {
    chart.setOption(option(state.view, state.measure), { notMerge: true });
    box.setAttribute("data-view", state.view + "/" + state.measure);
  }
  function watch(name, key) {
    document.querySelectorAll('input[name="' + name + '"]').forEach(function (input) {
      input.addEventListener("change", function () { if (input.checked) { state[key] = input.value; draw(); } });
    });
  }
  watch("history-view", "view");
  watch("history-measure", "measure");
  window.addEventListener("resize", function () { chart.resize(); });
  draw();
  box.setAttribute("data-drawn", "true");
})();
