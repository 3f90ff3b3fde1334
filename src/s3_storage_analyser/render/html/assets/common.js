/* s3-storage-analyser's page helpers, written once for report.js, history.js and diff.js: loaded before
   them (inlined ahead of the page's script in a file export, its own /static script on the service's
   pages). One global, S3SA; the pages' scripts keep only their own logic. Text is only ever set with
   textContent (never innerHTML): names and messages are untrusted. */
var S3SA = S3SA || {};
(function (ns) {
  "use strict";
  var IEC = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
  /* As units.humanise: exact below 1 KiB, one decimal below 100. */
  ns.humanBytes = function (n) {
    if (n < 1024) return n + " B";
    var value = n;
    for (var i = 1; i < IEC.length; i++) {
      value /= 1024;
      if (value < 1024 || i === IEC.length - 1) return (value < 100 ? value.toFixed(1) : value.toFixed(0)) + " " + IEC[i];
    }
    return n + " B";
  };
  ns.count = function (n) { return Number(n).toLocaleString("en-US"); };
  /* For display only; the exact decimal string stays on the page (a cell's title or data-raw). */
  ns.humanMoney = function (text) {
    if (text === null || text === undefined) return "unknown";
    var v = Number(text);
    if (v === 0) return "$0";
    var a = Math.abs(v), sign = v < 0 ? "-" : "";
    if (a >= 0.01) return sign + "$" + a.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
    return sign + "$" + a.toFixed(Math.min(20, 1 - Math.floor(Math.log10(a)))); /* two significant digits */
  };
  /* Controls and bidi marks as visible escapes (as safetext.printable does): a name cannot reorder or hide
     its neighbours (a legend, a row). Search matches the name itself; data attributes keep it exactly. */
  var UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
  ns.shown = function (name) {
    return String(name).replace(UNSAFE, function (c) { return "\\u" + ("000" + c.charCodeAt(0).toString(16)).slice(-4); });
  };
  /* An element with its text (textContent, never HTML) and attributes. */
  ns.el = function (tag, text, attrs) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (attrs) for (var k in attrs) if (Object.prototype.hasOwnProperty.call(attrs, k)) node.setAttribute(k, attrs[k]);
    return node;
  };

  /* --- a table searched, sorted and paged in the page (report.js's buckets, diff.js's changes) ---------
     Its controls have the ids <prefix>-search, -page-size, -prev, -next and -page; its sortable headers are
     th[data-sort] with a button. state holds query, key, dir (1 up, -1 down), page and size. */
  /* Each control changes state and calls draw; a new sort key starts ascending when in ascending, else descending. */
  ns.tableControls = function (prefix, state, headers, ascending, draw) {
    document.getElementById(prefix + "-search").addEventListener("input", function (e) {
      state.query = e.target.value.trim(); state.page = 0; draw();
    });
    document.getElementById(prefix + "-page-size").addEventListener("change", function (e) {
      state.size = Number(e.target.value); state.page = 0; draw();
    });
    document.getElementById(prefix + "-prev").addEventListener("click", function () { state.page -= 1; draw(); });
    document.getElementById(prefix + "-next").addEventListener("click", function () { state.page += 1; draw(); });
    headers.forEach(function (th) {
      th.querySelector("button").addEventListener("click", function () {
        var key = th.getAttribute("data-sort");
        if (state.key === key) state.dir = -state.dir;
        else { state.key = key; state.dir = ascending.indexOf(key) >= 0 ? 1 : -1; }
        state.page = 0; draw();
      });
    });
  };
  /* After a draw of `total` matching rows from `start`: the rows line, prev/next, each header's aria-sort. */
  ns.tablePager = function (prefix, state, headers, start, total, pages) {
    document.getElementById(prefix + "-page").textContent = total
      ? "Rows " + ns.count(start + 1) + "–" + ns.count(Math.min(start + state.size, total)) + " of " + ns.count(total) + " (page " + (state.page + 1) + " of " + pages + ")"
      : "";
    document.getElementById(prefix + "-prev").disabled = state.page === 0;
    document.getElementById(prefix + "-next").disabled = state.page >= pages - 1;
    headers.forEach(function (th) {
      th.setAttribute("aria-sort", th.getAttribute("data-sort") === state.key ? (state.dir > 0 ? "ascending" : "descending") : "none");
    });
  };
})(S3SA);
