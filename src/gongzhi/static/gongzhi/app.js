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

// Accessibility (docs/accessibility.md). Maps and charts get an accessible name: a Leaflet map is a
// named region; an ECharts chart is an image whose label ECharts writes from its data (aria option).
// The names come from data attributes on <main> (translated in base.html). Charts and maps are often
// drawn after the page loads (after a fetch, or in content htmx swaps in), so a watcher names them.
(function () {
  var pending = false;
  function name() {
    pending = false;
    var labels = (document.getElementById("main") || document.body).dataset;
    document.querySelectorAll(".leaflet-container:not([aria-label])").forEach(function (el) {
      el.setAttribute("role", "region");
      el.setAttribute("aria-label", labels.labelMap || "Map");
    });
    if (!window.echarts) return;
    document.querySelectorAll("[_echarts_instance_]:not([data-aria])").forEach(function (el) {
      var chart = window.echarts.getInstanceByDom(el);
      if (!chart) return;
      el.setAttribute("data-aria", "on");
      if (!el.hasAttribute("role")) el.setAttribute("role", "img");
      if (!el.hasAttribute("aria-label")) el.setAttribute("aria-label", labels.labelChart || "Chart");
      chart.setOption({aria: {enabled: true}});
    });
  }
  function later() { if (!pending) { pending = true; window.requestAnimationFrame(name); } }
  document.addEventListener("DOMContentLoaded", function () {
    name();
    new MutationObserver(later).observe(document.body, {
      subtree: true, childList: true, attributes: true, attributeFilter: ["class", "_echarts_instance_"],
    });
  });
})();

// Large text (simple mode, for elderly residents): a button[data-large-text] switches it on and off.
// Remembered in a cookie that base.html reads, so the next page opens large at once; applied here too
// for a page the service worker kept from before the switch.
(function () {
  function apply(on) {
    document.documentElement.classList.toggle("large-text", on);
    document.querySelectorAll("button[data-large-text]").forEach(function (b) {
      b.setAttribute("aria-pressed", on ? "true" : "false");
    });
  }
  document.addEventListener("click", function (ev) {
    var btn = ev.target.closest && ev.target.closest("button[data-large-text]");
    if (!btn) return;
    var on = !document.documentElement.classList.contains("large-text");
    document.cookie = "gz_text=" + (on ? "large" : "normal") + "; path=/; max-age=31536000; SameSite=Lax";
    apply(on);
  });
  document.addEventListener("DOMContentLoaded", function () {
    apply(/(?:^|;\s*)gz_text=large(?:;|$)/.test(document.cookie));
  });
})();
