/* The sales pages: the item picker of the lines of the invoice form and the order form
   (``ecrmLines.setup``: an item picked by name fills the line from the price list for the
   chosen price type on the document's date; add and remove rows), a
   select that shows the form again for the chosen type or kind (data-refill), and the
   printable invoice's print button. Without JavaScript the forms still work: blank rows
   are typed in, and buttons show the form again. No libraries. */
(function () {
  "use strict";

  function json(url) {
    return fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.json().catch(function () { return null; }); });
  }

  /* The item picker of a form's lines tables (the invoice form's one table, the order
     form's three sections): ``options.day`` names the date input whose day the prices are
     taken on; ``options.sections`` lists the tables, each {body: its tbody, template: the
     <template> of a blank row (row 999), add: the «Add a line» button, prefix: the first
     part of its cells' names, "<prefix>-<row>-<field>"}. */
  function setupLines(form, options) {
    var itemsUrl = form.getAttribute("data-items-url");
    var priceUrl = form.getAttribute("data-price-url");
    var sections = options.sections.filter(function (s) { return s.body; });
    if (!sections.length || !window.fetch) { return; }

    function priceType() {
      var select = form.querySelector("select[name=price_type_id]");
      return (select && select.value) || form.getAttribute("data-default-price-type") || "";
    }
    function day() {
      var input = form.querySelector("input[name=" + options.day + "]");
      return input ? input.value : "";
    }
    function cell(row, field) { return row.querySelector("[name$='-" + field + "']"); }

    function fillPrice(row) {
      var item = cell(row, "item_id").value.trim();
      var kind = priceType();
      if (!/^\d+$/.test(item) || !kind || !day()) { return; }
      json(priceUrl + "?item_id=" + encodeURIComponent(item) + "&price_type_id=" +
           encodeURIComponent(kind) + "&day=" + encodeURIComponent(day()))
        .then(function (data) {
          var price = cell(row, "price");
          if (data && data.price) { price.value = data.price; price.title = ""; }
          else if (data && data.message) { price.value = ""; price.title = data.message; price.placeholder = "?"; }
        })
        .catch(function () { /* the price can be typed */ });
    }

    function pick(row, item) {
      cell(row, "item_id").value = String(item.id);
      cell(row, "name").value = item.name;
      cell(row, "unit").value = item.unit || "";
      var vat = cell(row, "vat_rate");
      if (vat && item.vat_rate) { vat.value = item.vat_rate; }
      var quantity = cell(row, "quantity");
      if (quantity && !quantity.value) { quantity.value = "1"; }
      fillPrice(row);
    }

    function setupRow(body, row) {
      var name = cell(row, "name");
      var results = row.querySelector(".item-results");
      var remove = row.querySelector(".remove-line");
      var timer = null;
      var asked = "";
      if (remove) {
        remove.addEventListener("click", function () {
          if (body.querySelectorAll(".line-row").length > 1) { row.remove(); }
          else { Array.prototype.forEach.call(row.querySelectorAll("input, select"), function (i) { i.value = ""; }); }
        });
      }
      cell(row, "item_id").addEventListener("change", function () { fillPrice(row); });
      if (!name || !results || !itemsUrl) { return; }
      function show(items) {
        results.textContent = "";
        items.forEach(function (item) {
          var li = document.createElement("li");
          var button = document.createElement("button");
          button.type = "button";
          button.textContent = item.name + (item.article ? " (" + item.article + ")" : "") + ", " + item.unit;
          button.addEventListener("mousedown", function (event) { event.preventDefault(); });
          button.addEventListener("click", function () { pick(row, item); results.hidden = true; });
          li.appendChild(button);
          results.appendChild(li);
        });
        results.hidden = !items.length;
      }
      name.addEventListener("input", function () {
        clearTimeout(timer);
        cell(row, "item_id").value = "";
        timer = setTimeout(function () {
          var text = name.value.trim();
          if (text === asked) { return; }
          asked = text;
          if (text.length < 2) { show([]); return; }
          json(itemsUrl + "?q=" + encodeURIComponent(text)).then(function (data) {
            if (data && text === asked) { show(data.results || []); }
          }).catch(function () { show([]); });
        }, 250);
      });
      name.addEventListener("blur", function () { setTimeout(function () { results.hidden = true; }, 150); });
    }

    sections.forEach(function (section) {
      var body = section.body;
      Array.prototype.forEach.call(body.querySelectorAll(".line-row"), function (row) { setupRow(body, row); });
      if (!section.add || !section.template) { return; }
      section.add.addEventListener("click", function () {
        var used = Array.prototype.map.call(body.querySelectorAll(".line-row"), function (r) {
          return parseInt(r.getAttribute("data-row"), 10) || 0;
        });
        var next = used.length ? Math.max.apply(null, used) + 1 : 0;
        if (next > 998) { return; }
        var html = section.template.innerHTML.split(section.prefix + "-999-").join(section.prefix + "-" + next + "-")
          .replace(/data-row="999"/g, 'data-row="' + next + '"');
        var holder = document.createElement("tbody");
        holder.innerHTML = html.trim();
        var row = holder.firstElementChild;
        body.appendChild(row);
        setupRow(body, row);
        cell(row, "name").focus();
      });
    });

    function repriceAll() {
      sections.forEach(function (section) {
        Array.prototype.forEach.call(section.body.querySelectorAll(".line-row"), function (row) {
          if (cell(row, "item_id").value.trim()) { fillPrice(row); }
        });
      });
    }
    var dated = form.querySelector("input[name=" + options.day + "]");
    var kindSelect = form.querySelector("select[name=price_type_id]");
    if (dated) { dated.addEventListener("change", repriceAll); }
    if (kindSelect) { kindSelect.addEventListener("change", repriceAll); }
  }
  // The order form (static/orders.js) sets up its sections with the same picker.
  window.ecrmLines = { setup: setupLines };

  function setupInvoiceForm(form) {
    setupLines(form, { day: "issued_on", sections: [{
      body: form.querySelector("#lines tbody"), template: document.getElementById("line-template"),
      add: document.getElementById("add-line"), prefix: "lines" }] });
  }

  // A select whose choice changes the form's fields (a contract type's attributes, a
  // service kind's conditions) shows the form again for it; nothing is saved.
  document.addEventListener("change", function (event) {
    var select = event.target;
    var url = select && select.getAttribute && select.getAttribute("data-refill");
    if (!url || !select.form) { return; }
    select.form.setAttribute("action", url);
    select.form.submit();
  });

  function start() {
    document.documentElement.classList.add("js");
    Array.prototype.forEach.call(document.querySelectorAll("#invoice-form"), setupInvoiceForm);
    Array.prototype.forEach.call(document.querySelectorAll("[data-print]"), function (button) {
      button.addEventListener("click", function () { window.print(); });
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
