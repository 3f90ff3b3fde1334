/* s3-storage-analyser's diff page: the bar chart of the largest changes and the table of every change,
   drawn from the JSON data block (diff --fmt json). Data is only ever written with textContent (never
   innerHTML): bucket names are untrusted. */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("s3sa-data").textContent);
  var classNames = JSON.parse(document.getElementById("s3sa-classes").textContent);
  var changes = data.Changes;
  var priced = Object.prototype.hasOwnProperty.call(data, "Prices");
  /* Either snapshot of several accounts: each change carries its bucket's Account (a column, searched). */
  var byAccount = changes.length > 0 && Object.prototype.hasOwnProperty.call(changes[0], "Account");
  var ALL = "ALL";
  var TOP = 30;

  var humanBytes = S3SA.humanBytes, count = S3SA.count, humanMoney = S3SA.humanMoney, shown = S3SA.shown, el = S3SA.el; /* common.js */
  function signedBytes(n) { return (n > 0 ? "+" : n < 0 ? "-" : "") + humanBytes(Math.abs(n)); }
  function signedCount(n) { return n > 0 ? "+" + count(n) : count(n); }
  function signedMoney(text) {
    if (text === null || text === undefined) return "unknown";
    return (Number(text) > 0 ? "+" : "") + humanMoney(text);
  }
  /* As the diff table's Change%: "new" when the bucket or class was empty before. */
  function share(r) {
    if (!r.BytesBefore) return r.BytesAfter ? "new" : "-";
    var pct = (100 * r.BytesChange) / r.BytesBefore;
    return (pct >= 0 ? "+" : "") + pct.toFixed(1) + "%";
  }
  function direction(n) { return n > 0 ? "grow" : n < 0 ? "shrink" : ""; }
  function className(code) { return code === ALL ? "all classes" : shown(classNames[code] || code); }

  /* --- every change: search, class filter, sort, pages --------------------------------------------- */
  var state = { query: "", cls: "", key: null, dir: -1, page: 0, size: 50 };
  var tbody = document.getElementById("change-rows");
  var headers = document.querySelectorAll("#change-table th[data-sort]");
  var columns = document.querySelectorAll("#change-table thead th").length;
  changes.forEach(function (r, i) { r._order = i; });

  function sortValue(r, key) {
    if (key === "Share") return r.BytesBefore ? r.BytesChange / r.BytesBefore : r.BytesAfter ? Infinity : null;
    if (key === "FilesChange") return r.FilesBefore === null || r.FilesAfter === null ? null : r.FilesAfter - r.FilesBefore;
    if (key === "CostChange") return r.CostChange === null || r.CostChange === undefined ? null : Number(r.CostChange);
    var v = r[key];
    return v === undefined ? null : v;
  }
  function compare(a, b) {
    if (state.key === null) return a._order - b._order; /* the JSON's order: largest change either way first */
    var x = sortValue(a, state.key), y = sortValue(b, state.key);
    if (x === null && y === null) return a._order - b._order;
    if (x === null) return 1; /* unknown last, whichever the direction */
    if (y === null) return -1;
    if (x < y) return -state.dir;
    if (x > y) return state.dir;
    return a._order - b._order;
  }
  function row(r) {
    var total = r.StorageClass === ALL;
    var tr = el("tr", null, { "data-bucket": r.Bucket, "data-class": r.StorageClass });
    tr.appendChild(el("th", shown(r.Bucket), { scope: "row" }));
    if (byAccount) tr.appendChild(el("td", r.Account, { "class": "account" }));
    tr.appendChild(el("td", className(r.StorageClass), { title: shown(r.StorageClass), "class": total ? "total" : "" }));
    tr.appendChild(el("td", humanBytes(r.BytesBefore), { title: count(r.BytesBefore) + " bytes", "data-raw": r.BytesBefore }));
    tr.appendChild(el("td", humanBytes(r.BytesAfter), { title: count(r.BytesAfter) + " bytes", "data-raw": r.BytesAfter }));
    tr.appendChild(el("td", signedBytes(r.BytesChange), {
      title: signedCount(r.BytesChange) + " bytes", "data-raw": r.BytesChange, "class": direction(r.BytesChange)
    }));
    tr.appendChild(el("td", share(r)));
    var files = sortValue(r, "FilesChange");
    tr.appendChild(el("td", files === null ? "" : signedCount(files), {
      title: files === null ? "not counted" : count(r.FilesBefore) + " → " + count(r.FilesAfter) + " objects",
      "data-raw": files === null ? "" : files
    }));
    if (priced) {
      var known = r.CostChange !== null && r.CostChange !== undefined;
      tr.appendChild(el("td", signedMoney(r.CostChange), {
        title: (r.CostBefore === null ? "unknown" : r.CostBefore) + " → " + (r.CostAfter === null ? "unknown" : r.CostAfter) + " USD per month",
        "data-raw": known ? r.CostChange : "",
        "class": known ? direction(Number(r.CostChange)) : ""
      }));
    }
    return tr;
  }
  function draw() {
    var q = state.query.toLowerCase();
    var matching = changes.filter(function (r) {
      return (!state.cls || r.StorageClass === state.cls) &&
        (!q || r.Bucket.toLowerCase().indexOf(q) >= 0 || (byAccount && String(r.Account).indexOf(q) >= 0));
    });
    matching.sort(compare);
    var pages = Math.max(1, Math.ceil(matching.length / state.size));
    state.page = Math.max(0, Math.min(state.page, pages - 1));
    var start = state.page * state.size;
    var fragment = document.createDocumentFragment();
    matching.slice(start, start + state.size).forEach(function (r) { fragment.appendChild(row(r)); });
    if (!matching.length) {
      var empty = el("tr");
      empty.appendChild(el("td", q || state.cls ? "No change matches." : "No buckets in either snapshot.", { colspan: columns }));
      fragment.appendChild(empty);
    }
    tbody.replaceChildren(fragment);
    var filtered = q || state.cls;
    document.getElementById("change-count").textContent =
      count(matching.length) + (filtered ? " of " + count(changes.length) : "") + (changes.length === 1 ? " row" : " rows");
    S3SA.tablePager("change", state, headers, start, matching.length, pages);
  }
  S3SA.tableControls("change", state, headers, ["Bucket", "StorageClass", "Account"], draw);
  document.getElementById("change-class").addEventListener("change", function (e) {
    state.cls = e.target.value; state.page = 0; draw();
  });
  draw();

  /* --- the chart: the buckets whose total changed most, grows right, shrinks left ------------------ */
  function currentMeasure() {
    var checked = document.querySelector("#chart-measure input:checked");
    return checked ? checked.value : "bytes";
  }
  /* The bars: bucket totals with a known, non-zero change, largest either way first. */
  function largest(measure) {
    var out = [];
    changes.forEach(function (r) {
      if (r.StorageClass !== ALL) return;
      if (measure === "cost") {
        if (r.CostChange === null || r.CostChange === undefined || Number(r.CostChange) === 0) return;
        out.push({ bucket: r.Bucket, value: Number(r.CostChange), exact: r.CostChange, before: r.CostBefore, after: r.CostAfter, order: r._order });
      } else if (r.BytesChange !== 0) {
        out.push({ bucket: r.Bucket, value: r.BytesChange, exact: String(r.BytesChange), before: r.BytesBefore, after: r.BytesAfter, order: r._order });
      }
    });
    out.sort(function (a, b) { return Math.abs(b.value) - Math.abs(a.value) || a.order - b.order; });
    return out.slice(0, TOP);
  }
  function chartTable(bars, measure) {
    var fragment = document.createDocumentFragment();
    bars.forEach(function (bar) {
      var tr = el("tr", null, { "data-bucket": bar.bucket });
      tr.appendChild(el("th", shown(bar.bucket), { scope: "row" }));
      if (measure === "cost") {
        tr.appendChild(el("td", signedMoney(bar.exact), { "data-raw": bar.exact, "class": direction(bar.value) }));
        tr.appendChild(el("td", bar.exact + " USD", { "class": "raw" }));
        tr.appendChild(el("td", humanMoney(bar.before), { "data-raw": bar.before === null ? "" : bar.before }));
        tr.appendChild(el("td", humanMoney(bar.after), { "data-raw": bar.after === null ? "" : bar.after }));
      } else {
        tr.appendChild(el("td", signedBytes(bar.value), { "data-raw": bar.exact, "class": direction(bar.value) }));
        tr.appendChild(el("td", signedCount(bar.value) + " bytes", { "class": "raw" }));
        tr.appendChild(el("td", humanBytes(bar.before), { "data-raw": bar.before, title: count(bar.before) + " bytes" }));
        tr.appendChild(el("td", humanBytes(bar.after), { "data-raw": bar.after, title: count(bar.after) + " bytes" }));
      }
      fragment.appendChild(tr);
    });
    if (!bars.length) {
      var empty = el("tr");
      empty.appendChild(el("td", "No bucket changed.", { colspan: 5 }));
      fragment.appendChild(empty);
    }
    document.getElementById("chart-rows").replaceChildren(fragment);
  }

  var box = document.getElementById("chart");
  var chart = typeof echarts === "undefined" || !box ? null : echarts.init(box, null, { renderer: "canvas" });
  function tooltip(params) {
    var p = Array.isArray(params) ? params.find(function (x) { return x.value !== null && x.value !== "-"; }) || params[0] : params;
    var bar = (p && p.data && p.data.bar) || null;
    var node = document.createElement("div");
    if (!bar) return node;
    node.appendChild(el("strong", shown(bar.bucket)));
    var label = currentMeasure() === "cost"
      ? signedMoney(bar.exact) + " per month (" + bar.exact + " USD)"
      : signedBytes(bar.value) + " (" + signedCount(bar.value) + " bytes)";
    node.appendChild(el("div", label));
    return node;
  }
  function plot() {
    var measure = currentMeasure();
    var bars = largest(measure);
    chartTable(bars, measure);
    if (!chart) return;
    var drawn = bars.slice().reverse(); /* the largest at the top */
    box.style.height = Math.max(160, 72 + 24 * drawn.length) + "px"; /* bars of a readable height, however many */
    chart.resize();
    function side(grows) {
      return drawn.map(function (bar) {
        return (bar.value > 0) === grows ? { value: bar.value, bar: bar } : { value: null, bar: bar };
      });
    }
    var axis = measure === "cost" ? function (v) { return signedMoney(String(v)); } : signedBytes;
    chart.setOption({
      animation: false,
      grid: { left: 8, right: 56, top: 32, bottom: 24, containLabel: true },
      legend: { data: ["grows", "shrinks"], top: 0 },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, formatter: tooltip },
      xAxis: { type: "value", axisLabel: { formatter: axis } },
      yAxis: {
        type: "category",
        data: drawn.map(function (bar) { return shown(bar.bucket); }),
        axisLabel: { width: 220, overflow: "truncate" }
      },
      series: [
        { name: "grows", type: "bar", stack: "change", data: side(true), barMaxWidth: 18, itemStyle: { color: "#d1495b" } },
        { name: "shrinks", type: "bar", stack: "change", data: side(false), barMaxWidth: 18, itemStyle: { color: "#2e8b57" } }
      ]
    }, true);
  }
  document.querySelectorAll("#chart-measure input").forEach(function (input) {
    input.addEventListener("change", plot);
  });
  if (chart) window.addEventListener("resize", function () { chart.resize(); });
  plot();
  if (box) box.setAttribute("data-drawn", "true");
})();
