/* s3-storage-analyser's HTML report: the treemap and the bucket table, drawn from the JSON data block.
   Data is only ever written with textContent (never innerHTML): names and messages are untrusted. */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("s3sa-data").textContent);
  var classes = JSON.parse(document.getElementById("s3sa-classes").textContent);
  var buckets = data.Buckets;
  var priced = Object.prototype.hasOwnProperty.call(data, "Cost");
  /* A scan of several accounts: an Account column (id, and name when known), searched and sorted like the rest. */
  var byAccount = Object.prototype.hasOwnProperty.call(data, "Accounts");
  function accountLabel(b) { return b.AccountName ? b.Account + " (" + b.AccountName + ")" : (b.Account || ""); }
  /* The service's pages link each bucket to its own page; the file export has none to link to. */
  var bucketLink = document.body.getAttribute("data-bucket-link");

  var humanBytes = S3SA.humanBytes, count = S3SA.count, humanMoney = S3SA.humanMoney, el = S3SA.el; /* common.js */

  /* --- the bucket table: search, sort, pages ------------------------------------------------------ */
  var state = { query: "", key: "Bytes", dir: -1, page: 0, size: 50 };
  var tbody = document.getElementById("bucket-rows");
  var headers = document.querySelectorAll("#bucket-table th[data-sort]");
  var columns = document.querySelectorAll("#bucket-table thead th").length;

  function sortValue(b, key) {
    var v = b[key];
    if (key === "CostPerMonth") return v === null || v === undefined ? null : Number(v);
    return v === undefined ? null : v;
  }
  function compare(a, b) {
    var x = sortValue(a, state.key), y = sortValue(b, state.key);
    if (x === null && y === null) return a.Bucket < b.Bucket ? -1 : a.Bucket > b.Bucket ? 1 : 0;
    if (x === null) return 1; /* unknown last, whichever the direction */
    if (y === null) return -1;
    if (x < y) return -state.dir;
    if (x > y) return state.dir;
    return a.Bucket < b.Bucket ? -1 : a.Bucket > b.Bucket ? 1 : 0;
  }
  function classCell(b) {
    var parts = [], exact = [];
    classes.forEach(function (c) {
      var n = b[c.Key];
      if (n) { parts.push(c.Column + " " + humanBytes(n)); exact.push(c.Code + ": " + n + " bytes"); }
    });
    return el("td", parts.join(" · "), { "class": "classes", title: exact.join("\n") });
  }
  function row(b) {
    var tr = el("tr", null, { "data-bucket": b.Bucket });
    var name = el("th", bucketLink ? null : b.Bucket, { scope: "row" });
    if (bucketLink) name.appendChild(el("a", b.Bucket, { href: bucketLink + encodeURIComponent(b.Bucket) }));
    tr.appendChild(name);
    if (byAccount) tr.appendChild(el("td", accountLabel(b), { "class": "account", "data-account": b.Account || "" }));
    tr.appendChild(el("td", b.Region));
    tr.appendChild(el("td", count(b.Files), { "data-raw": b.Files }));
    tr.appendChild(el("td", humanBytes(b.Bytes), { title: count(b.Bytes) + " bytes", "data-raw": b.Bytes }));
    tr.appendChild(el("td", b.Bytes, { "class": "raw" }));
    if (priced) {
      var known = b.CostPerMonth !== null && b.CostPerMonth !== undefined;
      tr.appendChild(el("td", known ? humanMoney(b.CostPerMonth) : "unknown", { title: known ? b.CostPerMonth + " USD" : "part of it has no price", "data-raw": known ? b.CostPerMonth : "" }));
    }
    tr.appendChild(classCell(b));
    tr.appendChild(el("td", b.DataDate || ""));
    return tr;
  }
  function draw() {
    var q = state.query.toLowerCase();
    var shown = q ? buckets.filter(function (b) {
      return b.Bucket.toLowerCase().indexOf(q) >= 0 || String(b.Region).toLowerCase().indexOf(q) >= 0 ||
        (byAccount && accountLabel(b).toLowerCase().indexOf(q) >= 0);
    }) : buckets.slice();
    shown.sort(compare);
    var pages = Math.max(1, Math.ceil(shown.length / state.size));
    state.page = Math.min(state.page, pages - 1);
    var start = state.page * state.size;
    var fragment = document.createDocumentFragment();
    shown.slice(start, start + state.size).forEach(function (b) { fragment.appendChild(row(b)); });
    if (!shown.length) fragment.appendChild(el("td", q ? "No bucket matches." : "No buckets.", { colspan: columns }));
    tbody.replaceChildren(fragment);
    document.getElementById("bucket-count").textContent =
      count(shown.length) + (q ? " of " + count(buckets.length) : "") + (buckets.length === 1 ? " bucket" : " buckets");
    S3SA.tablePager("bucket", state, headers, start, shown.length, pages);
  }
  S3SA.tableControls("bucket", state, headers, ["Bucket", "Region", "Account"], draw);
  draw();

  /* --- the treemap: bucket, then storage class; bytes or monthly cost ------------------------------ */
  var box = document.getElementById("treemap");
  if (typeof echarts === "undefined" || !box) return;
  var TOP = 200;
  var nameOf = {};
  classes.forEach(function (c) { nameOf[c.Code] = c.Name; });

  function tree(measure) {
    var out = [];
    buckets.forEach(function (b) {
      var children = [];
      classes.forEach(function (c) {
        var v = measure === "cost" ? Number((b.CostByClass || {})[c.Code] || 0) : Number(b[c.Key] || 0);
        if (v > 0) children.push({ name: c.Column, value: v, code: c.Code, exact: measure === "cost" ? (b.CostByClass || {})[c.Code] : b[c.Key] });
      });
      var total = children.reduce(function (s, c) { return s + c.value; }, 0);
      if (total > 0) out.push({ name: b.Bucket, value: total, children: children, exact: measure === "cost" ? b.CostPerMonth : b.Bytes });
    });
    if (out.length <= TOP) return out;
    /* The largest TOP buckets, the rest as one tile by class: thousands of tiles draw slowly and read as noise. */
    out.sort(function (a, b) { return b.value - a.value; });
    var rest = out.slice(TOP), byClass = {};
    rest.forEach(function (node) {
      node.children.forEach(function (c) { byClass[c.code] = (byClass[c.code] || 0) + c.value; });
    });
    var other = classes.filter(function (c) { return byClass[c.Code]; }).map(function (c) {
      return { name: c.Column, value: byClass[c.Code], code: c.Code };
    });
    out = out.slice(0, TOP);
    out.push({
      name: count(rest.length) + " other buckets", other: rest.length, children: other,
      value: other.reduce(function (s, c) { return s + c.value; }, 0)
    });
    return out;
  }
  function tooltip(info) {
    var measure = currentMeasure();
    var node = document.createElement("div");
    var path = (info.treePathInfo || []).slice(1).map(function (p) { return p.name; });
    node.appendChild(el("strong", path.join(" › ")));
    var d = info.data || {};
    var label;
    if (measure !== "cost") label = humanBytes(info.value) + " (" + count(info.value) + " bytes)";
    else if (d.exact === null) label = "≥" + humanMoney(info.value) + " per month (part of it has no price)";
    else if (d.exact === undefined) label = humanMoney(info.value) + " per month";
    else label = humanMoney(d.exact) + " per month (" + d.exact + " USD)";
    node.appendChild(el("div", label));
    if (d.code) node.appendChild(el("div", nameOf[d.code] || d.code));
    return node;
  }
  var chart = echarts.init(box, null, { renderer: "canvas" });
  function currentMeasure() {
    var checked = document.querySelector("#treemap-measure input:checked");
    return checked ? checked.value : "bytes";
  }
  function plot() {
    var measure = currentMeasure();
    chart.setOption({
      animation: false,
      tooltip: { formatter: tooltip },
      series: [{
        type: "treemap",
        name: measure === "cost" ? "Monthly cost" : "Bytes",
        data: tree(measure),
        leafDepth: buckets.length > 50 ? 1 : null,
        visibleMin: 64,
        roam: false,
        breadcrumb: { show: true },
        label: { show: true, formatter: "{b}" },
        upperLabel: { show: true, height: 18 },
        levels: [
          { itemStyle: { borderColor: "#fff", borderWidth: 2, gapWidth: 2 } },
          { itemStyle: { borderColor: "#e6e9ef", borderWidth: 2, gapWidth: 1 }, colorSaturation: [0.35, 0.6] }
        ]
      }]
    }, true);
  }
  document.querySelectorAll("#treemap-measure input").forEach(function (input) {
    input.addEventListener("change", plot);
  });
  window.addEventListener("resize", function () { chart.resize(); });
  plot();
  box.setAttribute("data-drawn", "true");
})();
