// figcheck console: reading what a unit pastes from Excel. A block is cut
// into rows and cells; a header row says which column holds the names, the
// figures and last period's figures; rows whose first cell names an
// indicator fill it by name, anything else fills the fields in order.
"use strict";

const Paste = (() => {
  // cells cuts pasted text into rows of trimmed cells. Excel ends a block
  // with a line break and quotes cells that hold one.
  function cells(text) {
    const lines = text.replace(/\r\n?/g, "\n").replace(/\n+$/, "").split("\n");
    return lines.map(l => l.split("\t").map(c => c.trim().replace(/^"(.*)"$/s, "$1").trim()));
  }

  // A cell that is a figure as typed: digits with separators, perhaps a
  // qualifier or a unit after it, or a template leftover.
  const figureRE = /^[-+]?[0-9０-９][0-9０-９,，.．]*\s*[^\d\s]{0,5}$|^[xX×ｘＸ*＊?？]{2,}\S{0,4}$/;
  const isFigure = c => figureRE.test(c);

  const headerWords = {
    name: /指标|名称|项目|内容/,
    value: /数值|本期|本年|今年|数量|填报|数据|^值$/,
    prev: /上期|上年|去年|同期/,
  };

  // header reads a first row without figures as column roles.
  function header(row) {
    if (row.some(isFigure) || !row.some(c => c !== "")) return null;
    const roles = { name: -1, value: -1, prev: -1 };
    row.forEach((c, i) => {
      if (roles.prev < 0 && headerWords.prev.test(c)) roles.prev = i;
      else if (roles.name < 0 && headerWords.name.test(c)) roles.name = i;
      else if (roles.value < 0 && headerWords.value.test(c)) roles.value = i;
    });
    return roles;
  }

  // key folds a name for matching: no blanks, no unit in brackets, no
  // trailing colon or 数.
  function key(s) {
    return s.replace(/\s+/g, "").replace(/[（(][^）)]*[）)]$/, "").replace(/[:：]$/, "").replace(/数$/, "");
  }

  // matcher finds the indicator a cell names: its id, its name, or its
  // name folded as key does.
  function matcher(indicators) {
    const by = new Map();
    for (const ind of indicators) {
      by.set(ind.id, ind);
      by.set(ind.name, ind);
      if (!by.has(key(ind.name))) by.set(key(ind.name), ind);
    }
    return c => by.get(c) || by.get(key(c)) || null;
  }

  // plan decides what a paste does. It returns {mode, header, fills,
  // unknown}: mode "names" (fills is [{ind, value, prev}]), "row" or
  // "column" (fills is the list of values to put in order).
  function plan(text, indicators) {
    let rows = cells(text).filter(r => r.some(c => c !== ""));
    const find = matcher(indicators);
    let roles = null, skipped = 0;
    if (rows.length > 1) {
      roles = header(rows[0]);
      // A header of indicator names over one row of figures: a table
      // laid out sideways.
      const across = rows[0].filter(c => find(c));
      if (roles && rows.length === 2 && across.length * 2 >= rows[0].length) {
        const fills = [], unknown = [];
        rows[0].forEach((c, i) => {
          const ind = find(c);
          if (ind) fills.push({ ind, value: rows[1][i] ?? "" });
          else if (c) unknown.push(c);
        });
        return { mode: "names", header: 1, fills, unknown };
      }
      if (roles) { rows = rows.slice(1); skipped = 1; }
    }
    const nameCol = roles && roles.name >= 0 ? roles.name : 0;
    const named = rows.filter(r => r.length >= 2 && find(r[nameCol] || ""));
    if (rows.length && named.length * 2 >= rows.length && rows.some(r => r.length >= 2)) {
      let valueCol = roles && roles.value >= 0 ? roles.value : -1;
      const prevCol = roles ? roles.prev : -1;
      if (valueCol < 0) valueCol = [...Array(Math.max(...rows.map(r => r.length))).keys()].find(i => i !== nameCol && i !== prevCol);
      const fills = [], unknown = [];
      for (const r of rows) {
        const ind = find(r[nameCol] || "");
        if (!ind) { if (r[nameCol]) unknown.push(r[nameCol]); continue; }
        fills.push({ ind, value: r[valueCol] ?? "", prev: prevCol >= 0 ? r[prevCol] ?? "" : undefined });
      }
      return { mode: "names", header: skipped, fills, unknown };
    }
    if (rows.length === 1 && rows[0].length > 1) return { mode: "row", header: skipped, fills: rows[0], unknown: [] };
    return { mode: "column", header: skipped, fills: rows.map(r => r[0]), unknown: [] };
  }

  return { cells, plan, isFigure };
})();
