// Small behaviours shared by the pages (no build step; htmx does the requests).
document.addEventListener("click", function (ev) {
  var btn = ev.target.closest("button.toggle");
  if (!btn) return;
  var list = btn.parentElement.querySelector(":scope > ul.tree");
  var open = btn.getAttribute("aria-expanded") === "true";
  btn.setAttribute("aria-expanded", open ? "false" : "true");
  btn.textContent = open ? "▸" : "▾";
  if (list) list.hidden = open;
});

// A select marked data-autosubmit submits its form on change (no inline handlers: the CSP forbids them).
document.addEventListener("change", function (ev) {
  if (ev.target.matches && ev.target.matches("select[data-autosubmit]") && ev.target.form) ev.target.form.submit();
});

// The menu button (phones): opens and closes the navigation and tools.
document.addEventListener("click", function (ev) {
  var btn = ev.target.closest("button.menu-toggle");
  if (!btn) return;
  var header = btn.closest("header.top");
  var open = header.classList.toggle("open");
  btn.setAttribute("aria-expanded", open ? "true" : "false");
});

// Tables become cards on narrow screens: each cell is labelled with its column's heading.
function labelCells(root) {
  (root || document).querySelectorAll("main table").forEach(function (table) {
    var heads = Array.prototype.map.call(table.querySelectorAll("thead th, tr:first-child > th"), function (th) {
      return th.textContent.trim();
    });
    if (!heads.length) return;
    table.classList.add("cards");
    table.querySelectorAll("tbody tr, tr").forEach(function (tr) {
      Array.prototype.forEach.call(tr.children, function (cell, i) {
        if (cell.tagName === "TD" && !cell.hasAttribute("data-label") && heads[i]) cell.setAttribute("data-label", heads[i]);
      });
    });
  });
}
document.addEventListener("DOMContentLoaded", function () { labelCells(document); });
document.addEventListener("htmx:afterSwap", function (ev) { labelCells(ev.target); });
