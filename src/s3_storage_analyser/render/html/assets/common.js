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
})(S3SA);
