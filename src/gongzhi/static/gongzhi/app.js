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
