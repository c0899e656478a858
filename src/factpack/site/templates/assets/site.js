// factpack catalog: search and sort for table previews, full URLs in load snippets,
// copy buttons. Progressive enhancement only: without this script every table and
// snippet is still there, as plain HTML.
"use strict";

(function () {
  function cellText(row, index) {
    var cell = row.cells[index];
    return cell ? cell.textContent : "";
  }

  function compare(a, b, numeric) {
    if (a === "" && b === "") return 0;
    if (a === "") return 1; // empty cells last, whichever the direction
    if (b === "") return -1;
    if (numeric) {
      var x = Number(a), y = Number(b);
      if (!isNaN(x) && !isNaN(y)) return x - y;
    }
    return a.localeCompare(b, undefined, { numeric: true, sensitivity: "base" });
  }

  function makeSortable(table) {
    var headers = table.tHead ? table.tHead.rows[0].cells : [];
    Array.prototype.forEach.call(headers, function (th, index) {
      var button = document.createElement("button");
      button.type = "button";
      button.textContent = th.textContent;
      button.title = "Sort by " + th.textContent;
      th.textContent = "";
      th.appendChild(button);
      button.addEventListener("click", function () {
        var ascending = th.getAttribute("aria-sort") !== "ascending";
        Array.prototype.forEach.call(headers, function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        var numeric = ["integer", "number", "year"].indexOf(th.dataset.type) >= 0;
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (r1, r2) {
          var a = cellText(r1, index), b = cellText(r2, index);
          if (a === "" || b === "") return compare(a, b, numeric);
          return (ascending ? 1 : -1) * compare(a, b, numeric);
        });
        rows.forEach(function (r) { body.appendChild(r); });
      });
    });
  }

  function makeSearchable(input) {
    var table = document.getElementById(input.dataset.search);
    if (!table) return;
    var count = document.getElementById(table.dataset.count);
    var rows = Array.prototype.slice.call(table.tBodies[0].rows);
    var texts = rows.map(function (r) { return r.textContent.toLowerCase(); });
    function update() {
      var terms = input.value.toLowerCase().split(/\s+/).filter(Boolean);
      var shown = 0;
      rows.forEach(function (row, i) {
        var match = terms.every(function (t) { return texts[i].indexOf(t) >= 0; });
        row.hidden = !match;
        if (match) shown += 1;
      });
      if (count) count.textContent = shown + " of " + rows.length + " rows";
    }
    input.addEventListener("input", update);
    update();
    input.closest(".table-tools").hidden = false;
  }

  // Snippets carry store-relative paths; on a web server make them full URLs to copy.
  function absolutiseSnippets() {
    if (!/^https?:$/.test(location.protocol)) return;
    document.querySelectorAll("code[data-urls]").forEach(function (code) {
      var full = {};
      var pairs = JSON.parse(code.dataset.urls);
      pairs.forEach(function (pair) { full[pair[0]] = new URL(pair[1], location.href).href; });
      // One pass, so a URL put in is never rewritten again by another pair.
      var pattern = new RegExp(pairs.map(function (pair) {
        return pair[0].replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
      }).join("|"), "g");
      code.textContent = code.textContent.replace(pattern, function (m) { return full[m]; });
    });
  }

  function addCopyButtons() {
    if (!navigator.clipboard) return;
    document.querySelectorAll("pre[data-copy]").forEach(function (pre) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "copy";
      button.textContent = "Copy";
      button.addEventListener("click", function () {
        navigator.clipboard.writeText(pre.querySelector("code").textContent).then(
          function () { button.textContent = "Copied"; },
          function () { button.textContent = "Select and copy"; }
        );
      });
      pre.appendChild(button);
      pre.classList.add("has-copy");
    });
  }

  document.querySelectorAll("table.preview-table").forEach(makeSortable);
  document.querySelectorAll("input[data-search]").forEach(makeSearchable);
  absolutiseSnippets();
  addCopyButtons();
})();
