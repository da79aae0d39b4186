// verdict report: sortable tables and the ticket table. Ticket data is hostile input:
// it is only ever written with textContent, never as HTML.
(function () {
  'use strict';
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  // Sortable tables: a header cell with data-type sorts its column.
  function cellKey(cell, num) {
    var v = cell.getAttribute('data-v');
    var s = v !== null ? v : cell.textContent.trim();
    if (!num) return s.toLowerCase();
    var x = parseFloat(s.replace(/[^0-9eE.+-]/g, ''));
    return isNaN(x) ? -Infinity : x;
  }
  Array.prototype.forEach.call(document.querySelectorAll('table.sortable'), function (table) {
    var head = table.tHead.rows[0].cells;
    Array.prototype.forEach.call(head, function (th, col) {
      var type = th.getAttribute('data-type');
      if (!type) return;
      var b = el('button', 'sort');
      b.type = 'button';
      while (th.firstChild) b.appendChild(th.firstChild);
      th.appendChild(b);
      b.addEventListener('click', function () {
        var asc = th.getAttribute('aria-sort') !== 'ascending';
        Array.prototype.forEach.call(head, function (h) { h.removeAttribute('aria-sort'); });
        th.setAttribute('aria-sort', asc ? 'ascending' : 'descending');
        var num = type === 'num';
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = cellKey(a.cells[col], num), y = cellKey(b.cells[col], num);
          var c = x < y ? -1 : x > y ? 1 : 0;
          return asc ? c : -c;
        });
        rows.forEach(function (r) { body.appendChild(r); });
      });
    });
  });

  // The ticket table.
  var holder = document.getElementById('ticket-data');
  if (!holder) return;
  var data = JSON.parse(holder.textContent);
  if (!data) return;
  var kind = document.getElementById('t-kind');
  var variant = document.getElementById('t-variant');
  var field = document.getElementById('t-field');
  var tag = document.getElementById('t-tag');
  var search = document.getElementById('t-search');
  var count = document.getElementById('t-count');
  var more = document.getElementById('t-more');
  var table = document.getElementById('t-table');
  var PAGE = 50;
  var limit = PAGE;

  data.variants.forEach(function (v, i) { var o = el('option', null, v); o.value = String(i); variant.appendChild(o); });
  data.fields.forEach(function (f, i) { var o = el('option', null, f); o.value = String(i); field.appendChild(o); });
  field.value = String(data.default_field);
  data.tags.forEach(function (t) { var o = el('option', null, t); o.value = t; tag.appendChild(o); });

  function variantsShown() {
    if (variant.value === '') return data.variants.map(function (_, i) { return i; });
    return [parseInt(variant.value, 10)];
  }
  function wrong(row, v, f) { return data.scored[v][f] && row.pred[v][f] !== row.gold[f]; }
  function matches(row, vs, f, q) {
    if (tag.value && row.tags.indexOf(tag.value) < 0) return false;
    if (q) {
      var hay = (row.id + '\n' + row.text + '\n' + row.gold.join('\n') + '\n' +
        row.pred.map(function (p) { return p.join('\n'); }).join('\n')).toLowerCase();
      if (hay.indexOf(q) < 0) return false;
    }
    switch (kind.value) {
      case 'wrong': return vs.some(function (v) { return wrong(row, v, f); });
      case 'disagree':
        var seen = null, differ = false;
        data.variants.forEach(function (_, v) {
          if (!data.scored[v][f]) return;
          var p = row.pred[v][f];
          if (seen === null) seen = [p]; else if (seen[0] !== p) differ = true;
        });
        return differ;
      case 'low': return vs.some(function (v) { return row.conf[v] !== null && row.conf[v] < data.low_at; });
      default: return true;
    }
  }
  function render() {
    var vs = variantsShown();
    var f = parseInt(field.value, 10);
    var q = search.value.trim().toLowerCase();
    var rows = data.rows.filter(function (r) { return matches(r, vs, f, q); });
    var head = el('tr');
    ['id', 'text', 'gold ' + data.fields[f]].forEach(function (h) { head.appendChild(el('th', null, h)); });
    vs.forEach(function (v) { head.appendChild(el('th', null, data.variants[v])); });
    table.tHead.replaceChildren(head);
    var body = document.createDocumentFragment();
    rows.slice(0, limit).forEach(function (r) {
      var tr = el('tr');
      tr.appendChild(el('td', null, r.id));
      var text = el('td', 'text', r.text + (r.cut ? ' …' : ''));
      r.tags.forEach(function (t) { text.appendChild(document.createTextNode(' ')); text.appendChild(el('span', 'tag', t)); });
      tr.appendChild(text);
      tr.appendChild(el('td', null, r.gold[f]));
      vs.forEach(function (v) {
        var p = r.pred[v][f];
        var ok = data.scored[v][f] ? (p === r.gold[f]) : null;
        var td = el('td', ok === null ? null : ok ? 'ok' : 'bad',
          data.scored[v][f] ? (p === null ? '(' + r.outcome[v].replace(/_/g, ' ') + ')' : p) : '—');
        if (r.conf[v] !== null) { td.appendChild(document.createTextNode(' ')); td.appendChild(el('span', 'conf', r.conf[v].toFixed(2))); }
        tr.appendChild(td);
      });
      body.appendChild(tr);
    });
    table.tBodies[0].replaceChildren(body);
    count.textContent = rows.length + ' of ' + data.rows.length + ' tickets in the table match' +
      (rows.length > limit ? '; the first ' + limit + ' are shown.' : '.');
    more.hidden = rows.length <= limit;
  }
  [kind, variant, field, tag].forEach(function (s) { s.addEventListener('change', function () { limit = PAGE; render(); }); });
  search.addEventListener('input', function () { limit = PAGE; render(); });
  more.addEventListener('click', function () { limit += PAGE * 4; render(); });
  render();
})();
