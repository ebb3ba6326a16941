/* Pickers: every <input data-picker> (org/pickers.PickerInput) becomes a search-as-you-type combobox
   (WAI-ARIA combobox pattern: role=combobox, aria-expanded, aria-controls, aria-activedescendant, a
   listbox of options). The person reads and types names; the form submits the code or id in the
   original input, now hidden. Keys: ArrowDown/ArrowUp move, Enter picks, Escape closes (a second
   Escape clears the text). With data-picker-multiple the field holds several values, shown as a list
   with a remove button each. Without JavaScript the input stays a text input for the code.
   No inline script, no inline handlers (CSP). window.GongzhiPicker.set(input, value, label) sets a
   picker from other code (e.g. a map click that found the grid). */
(function () {
  "use strict";
  var seq = 0;

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text) { e.textContent = text; }
    return e;
  }

  function split(raw) {
    return (raw || "").split(/[,，、;；\n\r]+/).map(function (s) { return s.trim(); }).filter(Boolean);
  }

  function enhance(input) {
    if (input.dataset.pickerReady) { return; }
    input.dataset.pickerReady = "1";
    var n = ++seq, multiple = input.dataset.pickerMultiple === "1";
    var labels = {};
    try { labels = JSON.parse(input.dataset.pickerLabels || "{}"); } catch (e) { labels = {}; }
    var id = input.id || ("picker-" + n);
    var listId = id + "-listbox", hintId = id + "-hint";
    var wrap = el("span", {"class": "picker"});
    var box = el("input", {
      type: "text", id: id, role: "combobox", "aria-autocomplete": "list", "aria-expanded": "false",
      "aria-controls": listId, autocomplete: "off", spellcheck: "false", "class": "picker-input",
      "data-picker-box": input.dataset.picker
    });
    ["aria-invalid", "aria-describedby", "aria-label", "required", "placeholder", "accesskey", "autofocus", "size"].forEach(function (a) {
      if (input.hasAttribute(a)) { box.setAttribute(a, input.getAttribute(a)); }
    });
    box.setAttribute("aria-describedby", ((box.getAttribute("aria-describedby") || "") + " " + hintId).trim());
    var list = el("ul", {id: listId, role: "listbox", "class": "picker-list", hidden: ""});
    var hint = el("span", {id: hintId, "class": "visually-hidden"}, input.dataset.pickerHint || "");
    var status = el("span", {"class": "visually-hidden", role: "status", "aria-live": "polite"});
    var chosen = multiple ? el("ul", {"class": "picker-chosen", "aria-label": input.dataset.pickerChosen || ""}) : null;
    input.id = id + "-value";
    input.type = "hidden";
    input.removeAttribute("aria-invalid");
    input.parentNode.insertBefore(wrap, input);
    if (chosen) { wrap.appendChild(chosen); }
    wrap.appendChild(box); wrap.appendChild(list); wrap.appendChild(hint); wrap.appendChild(status); wrap.appendChild(input);

    var results = [], active = -1, timer = null, asked = 0;

    function values() { return split(input.value); }

    function drawChosen() {
      if (!chosen) { return; }
      chosen.textContent = "";
      values().forEach(function (v) {
        var li = el("li", {"class": "tag"}, (labels[v] || v) + " ");
        var b = el("button", {type: "button", "class": "picker-remove", "data-value": v,
          "aria-label": (input.dataset.pickerRemove || "×") + " " + (labels[v] || v)}, "×");
        li.appendChild(b);
        chosen.appendChild(li);
      });
    }

    function close() {
      asked++;  // an answer still on its way must not reopen the list
      list.hidden = true; box.setAttribute("aria-expanded", "false"); box.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function highlight(i) {
      var items = list.querySelectorAll("[role=option]");
      if (!items.length) { return; }
      active = (i + items.length) % items.length;
      items.forEach(function (o, k) { o.setAttribute("aria-selected", k === active ? "true" : "false"); });
      box.setAttribute("aria-activedescendant", items[active].id);
      items[active].scrollIntoView({block: "nearest"});
    }

    function draw() {
      list.textContent = "";
      if (!results.length) {
        list.appendChild(el("li", {"class": "picker-empty", role: "presentation"}, input.dataset.pickerEmpty || "—"));
      }
      results.forEach(function (r, i) {
        var li = el("li", {id: listId + "-" + i, role: "option", "aria-selected": "false", "data-index": String(i)});
        li.appendChild(el("span", {"class": "picker-label"}, r.label));
        if (r.hint) { li.appendChild(el("span", {"class": "muted picker-hint"}, " " + r.hint)); }
        list.appendChild(li);
      });
      list.hidden = false; box.setAttribute("aria-expanded", "true");
      status.textContent = results.length ? String(results.length) : (input.dataset.pickerEmpty || "");
      active = -1;
    }

    function ask() {
      var q = box.value.trim(), mine = ++asked;
      var url = input.dataset.pickerUrl + "?for=" + encodeURIComponent(input.dataset.pickerFor || "") +
        "&q=" + encodeURIComponent(q);
      fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
        .then(function (r) { return r.ok ? r.json() : {results: []}; })
        .then(function (d) {
          if (mine !== asked) { return; }
          results = d.results || [];
          draw();
          wrap.dataset.loaded = String(mine);
          wrap.dataset.query = q;  // the text these options answer (tests wait for it)
        })
        .catch(function () { /* offline or refused: the field keeps what was typed */ });
    }

    function pick(r) {
      labels[r.value] = r.label;
      if (multiple) {
        var vs = values();
        if (vs.indexOf(r.value) < 0) { vs.push(r.value); }
        input.value = vs.join(",");
        box.value = "";
        drawChosen();
      } else {
        input.value = r.value;
        box.value = r.label;
      }
      close();
      input.dispatchEvent(new Event("change", {bubbles: true}));
    }

    box.addEventListener("input", function () {
      if (!multiple) { input.value = box.value.trim(); }  // a code typed by hand is still submitted
      clearTimeout(timer);
      timer = setTimeout(ask, 200);
    });
    box.addEventListener("focus", function () { if (!box.value && list.hidden) { ask(); } });
    box.addEventListener("keydown", function (e) {
      if (e.key === "ArrowDown" || e.key === "ArrowUp") {
        e.preventDefault();
        if (list.hidden) { ask(); return; }
        highlight(active + (e.key === "ArrowDown" ? 1 : -1));
      } else if (e.key === "Enter") {
        if (!list.hidden && active >= 0 && results[active]) { e.preventDefault(); pick(results[active]); }
        else if (!list.hidden) { e.preventDefault(); close(); }
      } else if (e.key === "Escape") {
        if (!list.hidden) { e.preventDefault(); close(); }
        else if (box.value) { e.preventDefault(); box.value = ""; if (!multiple) { input.value = ""; } }
      } else if (e.key === "Tab") {
        close();
      }
    });
    list.addEventListener("mousedown", function (e) { e.preventDefault(); });  // keep focus in the box
    list.addEventListener("click", function (e) {
      var li = e.target.closest("[role=option]");
      if (li) { pick(results[parseInt(li.dataset.index, 10)]); box.focus(); }
    });
    box.addEventListener("blur", function () { setTimeout(close, 150); });
    if (multiple && input.form) {  // codes typed by hand and not picked are still submitted
      input.form.addEventListener("submit", function () {
        var typed = split(box.value);
        if (!typed.length) { return; }
        input.value = values().concat(typed.filter(function (v) { return values().indexOf(v) < 0; })).join(",");
        box.value = "";
        drawChosen();
      });
    }
    if (chosen) {
      chosen.addEventListener("click", function (e) {
        var b = e.target.closest(".picker-remove");
        if (!b) { return; }
        input.value = values().filter(function (v) { return v !== b.dataset.value; }).join(",");
        drawChosen(); box.focus();
        input.dispatchEvent(new Event("change", {bubbles: true}));
      });
      drawChosen();
    } else if (input.value) {
      box.value = labels[input.value] || input.value;
    }
    input.gongzhiPicker = {
      set: function (value, label) { pick({value: value, label: label || labels[value] || value}); },
      refresh: function (more) {  // the value was changed by other code (e.g. a map click)
        Object.keys(more || {}).forEach(function (k) { labels[k] = more[k]; });
        if (multiple) { drawChosen(); } else { box.value = labels[input.value] || input.value; }
      }
    };
  }

  function enhanceAll(root) {
    (root || document).querySelectorAll("input[data-picker]").forEach(enhance);
  }

  function hiddenOf(input) {
    return input && input.dataset && input.dataset.pickerBox ? input.parentNode.querySelector("input[data-picker]") : input;
  }

  window.GongzhiPicker = {
    enhance: enhanceAll,
    refresh: function (input, labels) {
      input = hiddenOf(input);
      if (input && input.gongzhiPicker) { input.gongzhiPicker.refresh(labels); }
    },
    set: function (input, value, label) {
      input = hiddenOf(input);
      if (input && input.gongzhiPicker) { input.gongzhiPicker.set(value, label); }
      else if (input) { input.value = value; }
    }
  };
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", function () { enhanceAll(); }); }
  else { enhanceAll(); }
  document.addEventListener("htmx:afterSwap", function (e) { enhanceAll(e.target); });
})();
