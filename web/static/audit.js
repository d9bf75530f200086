// figcheck console, auditor page: upload one or more files of a batch,
// read the audit (case files first, charts, the detail), print it or
// download the workbook.
"use strict";

(() => {
  const { el, api, setStatus } = FC;
  const $ = id => document.getElementById(id);
  const state = { files: [], form: "", title: "", names: {}, per: "" };

  // The messages of an unreadable batch (audit.ErrFormat), in Chinese;
  // the service's own words stay under 技术详情.
  const batchText = [
    [/unit \(单位\) and a period \(期间\) column/, "表头缺少“单位”或“期间”列（第一行应为表头）"],
    [/file is empty|first sheet is empty/, "文件是空的"],
    [/not an XLSX workbook|no sheet/, "不是有效的 XLSX 工作簿"],
    [/JSON batch must be an array/, "JSON 数据应为对象数组"],
    [/JSON array is not closed|element \d+/, "JSON 数据格式错误"],
    [/unknown encoding/, "无法识别的编码（应为 UTF-8 或 GB18030）"],
    [/unknown format/, "无法识别的文件格式（应为 CSV、XLSX、JSON 或 NDJSON）"],
    [/header/, "表头无法读取"],
  ];

  function errorText(e) {
    let msg = FC.codeMessage(e.code) || "请求失败";
    if (e.code === "invalid_batch") {
      const hit = batchText.find(([re]) => re.test(e.message));
      const file = (e.message.match(/^([^:]+\.(?:csv|xlsx|xlsm|json|ndjson|jsonl|txt)): /i) || [])[1];
      msg = "文件无法读取" + (file ? "（" + file + "）" : "") + "：" + (hit ? hit[1] : "请检查文件格式");
    }
    if (e.code === "invalid_request" && /^per:/.test(e.message)) msg = "所选规模指标不存在";
    return msg;
  }

  function showError(prefix, e) {
    setStatus($("audit-status"), prefix + errorText(e), true);
    $("err-text").textContent = `${e.code || ""} ${e.status || ""}\n${e.rawMessage || e.message}`;
    $("err-detail").hidden = false;
  }

  function auditURL(format) {
    let u = "/v1/audit?form=" + encodeURIComponent(state.form) + "&format=" + format;
    if (state.per) u += "&per=" + encodeURIComponent(state.per);
    return u;
  }

  function upload() {
    const fd = new FormData();
    for (const f of state.files) fd.append("file", f, f.name);
    return fd;
  }

  const fmt = x => typeof x === "number" ? (Number.isInteger(x) ? String(x) : x.toFixed(4).replace(/0+$/, "").replace(/\.$/, "")) : (x ?? "");
  const sev = s => FC.severityText[s] || s;
  const kindText = {
    batch_rule: "批量规则", hierarchy: "上下级合计不符", jump: "环比异常变动", benford_first_digit: "本福特首位数字",
    benford_first_two_digits: "本福特前两位数字", last_digit: "尾数偏好（0/5）", duplicate: "疑似照抄",
    peer_outlier: "同类单位离群值", batch_rule_error: "批量规则无法计算",
  };
  const verdictShort = { pass: "通过", warn: "警告", fail: "不通过" };

  // table fills a table; on a phone each row becomes a block whose cells
  // carry their header (data-label, see audit.css).
  function table(node, head, rows, numeric = []) {
    const thead = el("thead", {}, el("tr", {}, head.map(h => el("th", { scope: "col", text: h }))));
    const tbody = el("tbody", {}, rows.length ? rows.map(r => el("tr", {},
      r.map((c, i) => el("td", { class: numeric.includes(i) ? "num" : null, "data-label": head[i], text: c === undefined || c === null ? "" : String(c) }))))
      : el("tr", {}, el("td", { colspan: head.length, text: "无" })));
    node.replaceChildren(thead, tbody);
  }

  function fieldValues(fields) {
    return Object.entries(fields || {}).map(([k, v]) => {
      const prev = k.startsWith("previous.");
      const id = prev ? k.slice(9) : k;
      return (prev ? "上期" : "") + (state.names[id] || id) + "=" + (v === null || v === undefined ? "未填" : fmt(v));
    }).join("、");
  }

  // ---- charts: inline SVG, no library ----
  // The SVG namespace, from an empty <svg> of the page (the HTML parser
  // gives it): the page names no outside address, not even this one.
  const SVG = document.getElementById("svg-ns").namespaceURI;
  function svg(tag, attrs, ...kids) {
    const e = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    for (const k of kids) e.append(k instanceof Node ? k : document.createTextNode(String(k)));
    return e;
  }

  // columns draws grouped columns: categories along x, one bar per series.
  function columns(title, cats, series) {
    const W = 460, H = 230, L = 40, B = 40, T = 28;
    const top = Math.max(1, ...series.flatMap(s => s.values)) * 1.1;
    const gw = (W - L - 10) / cats.length, bw = (gw - 6) / series.length;
    const y = v => T + (H - T - B) * (1 - v / top);
    const g = svg("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": title, class: "chart" },
      svg("title", {}, title), svg("text", { x: W / 2, y: 16, "text-anchor": "middle", class: "ct" }, title));
    for (let t = 0; t <= 4; t++) {
      const v = top / 1.1 * t / 4;
      g.append(svg("line", { x1: L, x2: W - 6, y1: y(v), y2: y(v), class: "grid" }),
        svg("text", { x: L - 4, y: y(v) + 4, "text-anchor": "end", class: "ax" }, fmt(Math.round(v * 10) / 10)));
    }
    cats.forEach((c, i) => {
      series.forEach((s, j) => {
        const v = s.values[i] || 0;
        g.append(svg("rect", { x: L + i * gw + 3 + j * bw, y: y(v), width: Math.max(bw - 1, 1), height: y(0) - y(v), class: "bar s" + j },
          svg("title", {}, `${s.name} ${c}:${fmt(v)}`)));
      });
      g.append(svg("text", { x: L + i * gw + gw / 2, y: H - B + 14, "text-anchor": "middle", class: "ax" }, c));
    });
    series.forEach((s, j) => {
      const x = L + j * 150;
      g.append(svg("rect", { x, y: H - 14, width: 10, height: 10, class: "bar s" + j }), svg("text", { x: x + 14, y: H - 5, class: "ax" }, s.name));
    });
    return g;
  }

  // bars draws one horizontal bar per label, longest first.
  function bars(title, labels, values) {
    const row = 20, L = 150, W = 460, T = 28;
    const H = T + row * labels.length + 10;
    const top = Math.max(1, ...values);
    const g = svg("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": title, class: "chart" },
      svg("title", {}, title), svg("text", { x: W / 2, y: 16, "text-anchor": "middle", class: "ct" }, title));
    labels.forEach((l, i) => {
      const w = (W - L - 50) * values[i] / top;
      const y = T + i * row;
      g.append(svg("text", { x: L - 6, y: y + 14, "text-anchor": "end", class: "ax" }, l.length > 12 ? l.slice(0, 12) + "…" : l),
        svg("rect", { x: L, y: y + 3, width: Math.max(w, 1), height: row - 6, class: "bar s1" }, svg("title", {}, `${l}:${fmt(values[i])}`)),
        svg("text", { x: L + w + 4, y: y + 14, class: "ax" }, fmt(values[i])));
    });
    return g;
  }

  const digits = ["1", "2", "3", "4", "5", "6", "7", "8", "9"];
  const expected = digits.map(d => Math.round(1000 * Math.log10(1 + 1 / d)) / 10);
  const shares = (counts, n) => digits.map((_, i) => n ? Math.round(1000 * (counts[i] || 0) / n) / 10 : 0);

  function renderCharts(rep) {
    const out = [];
    const b1 = (rep.benford || []).find(b => b.digits === 1);
    if (b1 && b1.n) {
      const c = columns("全部数据首位数字：本福特期望与实际（%）", digits,
        [{ name: "本福特期望", values: expected }, { name: "实际", values: shares(b1.counts, b1.n) }]);
      out.push(b1.reason ? [c, el("figcaption", { class: "status", text: b1.reason })] : c);
    }
    for (const u of (rep.unit_benford || []).slice(0, 12)) {
      out.push(columns(`「${u.unit}」首位数字（%）`, digits, [{ name: "本福特期望", values: expected }, { name: u.unit, values: shares(u.counts, u.n) }]));
    }
    const cases = (rep.cases || []).slice(0, 20);
    if (cases.length) {
      out.push(bars("问题线索：证据强度（-lg p）", cases.map(c => `${c.rank}. ${c.unit}`), cases.map(c => Math.round(c.score * 10) / 10)));
    }
    $("charts").replaceChildren(...out.map(c => el("figure", {}, ...[c].flat())));
    if (!out.length) $("charts").replaceChildren(el("p", { class: "status", text: "数据太少，无图表" }));
  }

  // ---- case files ----
  function evidenceText(it) {
    let s = it.period ? it.period + " " : "";
    s += it.indicator_name ? `「${it.indicator_name}」` : it.peer ? `与「${it.peer}」` : "全部数字";
    if (it.value !== undefined && it.value !== null) {
      s += ` 填报${fmt(it.value)}`;
      if (it.peer_median !== undefined) s += `，同期各单位中位数${fmt(it.peer_median)}`;
      if (it.expected !== undefined) s += `，同等规模单位约${fmt(Math.round(it.expected))}`;
      if (it.previous !== undefined) s += `，上期（${it.previous_period}）${fmt(it.previous)}`;
    }
    return s;
  }

  function strength(c) {
    if (c.certain) return ["规则不符", "error"];
    if (c.significant) return ["证据充分", "warning"];
    return ["证据不足", "info"];
  }

  function violationList(rows) {
    return el("ul", { class: "vlist" }, rows.flatMap(r => [...(r.violations || []).map(v =>
      el("li", { class: "msg " + (v.explained ? "explained" : v.severity) },
        el("span", { class: "rule", text: `${r.period} 第${r.row}行 ${sev(v.severity)}${v.explained ? "（已说明）" : ""} ${v.rule}` }), el("br"),
        `${v.name}：${v.message}`,
        fieldValues(v.fields) ? el("div", { class: "fields", text: fieldValues(v.fields) }) : null,
        v.explained ? el("div", { class: "fields", text: "单位说明：" + v.explanation }) : null)),
    ...(r.eval_errors || []).map(e => el("li", { class: "msg info", text: `${r.period} 第${r.row}行 无法计算 ${e.name}：${e.error}` }))]));
  }

  // shownItems is how many evidence items a case shows before 另有….
  const shownItems = 6;

  function evidenceList(items) {
    return el("ul", { class: "evidence" }, items.map(it => el("li", {}, el("b", { text: evidenceText(it) }),
      el("ul", { class: "reasons" }, (it.reasons || []).map(r => el("li", {}, el("span", { class: "kind", text: kindText[r.kind] || r.kind }), " ", r.reason))))));
  }

  function renderCases(rep, rowsByUnit) {
    const cases = rep.cases || [];
    $("cases-note").textContent = cases.length ? `${cases.length} 个单位有异常发现；证据充分的单位在前。` : "没有单位有异常发现。";
    $("cases").replaceChildren(...cases.map(c => {
      const [st, cls] = strength(c);
      const rows = rowsByUnit.get(c.unit) || [];
      const nv = rows.reduce((n, r) => n + (r.violations || []).length, 0);
      return el("article", { class: "case", id: "case-" + c.rank },
        el("h3", {}, `${c.rank}. ${c.unit} `, el("span", { class: "badge " + c.severity, text: sev(c.severity) }), " ",
          el("span", { class: "badge " + cls, text: st })),
        el("p", { class: "summary", text: c.summary }),
        evidenceList((c.items || []).slice(0, shownItems)),
        (c.items || []).length > shownItems ? el("details", { class: "more" }, el("summary", { text: `另有 ${c.items.length - shownItems} 项证据` }),
          evidenceList(c.items.slice(shownItems))) : null,
        nv ? el("details", { class: "unit-detail" }, el("summary", { text: `该单位的违规明细（${nv} 条）` }), violationList(rows)) : null);
    }));
  }

  function render(rep) {
    const s = rep.summary;
    state.title = rep.title || state.form;
    $("report-title").textContent = (rep.title || rep.form) + " 审核报告";
    const when = rep.audited_at ? new Date(rep.audited_at).toLocaleString("zh-CN", { hour12: false }) : "";
    $("meta").replaceChildren(...[["审核时间", when], ["报表", `${rep.title || ""}（${rep.form}）`], ["规则版本", rep.ruleset], ["期间", (s.periods || []).join("、")]]
      .flatMap(([k, v]) => [el("dt", { text: k }), el("dd", { text: v })]));
    table($("inputs"), ["输入文件", "大小（字节）", "SHA-256"], (rep.inputs || []).map(i => [i.name || "（请求正文）", i.size, i.sha256]), [1]);
    $("kpis").replaceChildren(...[
      ["行数", s.rows], ["单位", s.units], ["通过", s.pass], ["警告", s.warn], ["不通过", s.fail],
      ["问题线索", (rep.cases || []).length], ["异常发现", s.findings], ["读取问题", s.problems],
    ].map(([k, v]) => el("li", {}, el("b", { text: String(v ?? 0) }), k)));

    const rowsByUnit = new Map();
    for (const r of rep.rows || []) {
      if (!rowsByUnit.has(r.unit)) rowsByUnit.set(r.unit, []);
      rowsByUnit.get(r.unit).push(r);
    }
    renderCases(rep, rowsByUnit);
    renderCharts(rep);
    $("tests").replaceChildren(...(rep.tests || []).map(t => el("li", { class: t.applicable ? "" : "na" },
      el("span", { class: "kind", text: kindText[t.kind] || t.kind }), " ", t.reason)));
    table($("top-rules"), ["规则", "级别", "行数"], (s.top_rules || []).map(r => [`${r.name}（${r.rule}）`, sev(r.severity), r.rows]), [2]);

    // Detail by unit: the case files' order first, then the others.
    const order = [...(rep.cases || []).map(c => c.unit), ...[...rowsByUnit.keys()].sort()];
    const seen = new Set();
    const blocks = [];
    let count = 0;
    for (const u of order) {
      if (seen.has(u) || !rowsByUnit.has(u)) continue;
      seen.add(u);
      const rows = rowsByUnit.get(u);
      const vrows = rows.flatMap(r => (r.violations || []).map(v => [r.period, r.row, verdictShort[r.verdict] || r.verdict,
        sev(v.severity) + (v.explained ? "（已说明）" : ""), v.name, v.message + (v.explained ? " 单位说明：" + v.explanation : ""), fieldValues(v.fields)]));
      count += vrows.length;
      const t = el("table", { class: "data stack" });
      table(t, ["期间", "行", "结论", "级别", "规则", "说明", "涉及指标及数值"], vrows, [1]);
      blocks.push(el("section", { class: "unit-block" }, el("h3", { class: "sub", text: u }), el("div", { class: "scroll" }, t)));
    }
    $("violations").replaceChildren(...(blocks.length ? blocks : [el("p", { text: "无" })]));
    $("viol-count").textContent = `（${count} 条，${blocks.length} 个单位）`;
    const findings = rep.findings || [];
    $("find-count").textContent = `（${findings.length} 项）`;
    table($("findings"), ["单位", "期间", "指标", "类型", "统计量", "阈值", "说明"],
      findings.map(f => [f.unit === "all" ? "全部单位" : f.unit + (f.peer ? " ↔ " + f.peer : ""), f.period || "", f.indicator_name || f.indicator || "",
        kindText[f.kind] || f.kind, `${f.statistic} = ${fmt(f.value)}`, fmt(f.threshold), f.reason]));
    const probs = rep.problems || [];
    $("problems-card").hidden = !probs.length;
    table($("problems"), ["文件", "行", "列", "单位", "问题"], probs.map(p => [p.file || "", p.row, p.column, p.unit, p.message]), [1]);
    $("result").hidden = false;
    $("result").focus();
  }

  function fileLabel() {
    const n = state.files.length;
    return n === 1 ? state.files[0].name : `${state.files[0].name} 等 ${n} 个文件`;
  }

  async function runAudit(ev) {
    ev.preventDefault();
    $("err-detail").hidden = true;
    const files = Array.from($("file").files);
    state.form = $("form").value;
    state.per = $("per").value;
    if (!files.length) { setStatus($("audit-status"), "请先选择数据文件", true); $("file").focus(); return; }
    state.files = files;
    setStatus($("audit-status"), `正在审核 ${fileLabel()}…`);
    $("audit-btn").disabled = true;
    try {
      const rep = await api("POST", auditURL("json"), upload());
      render(rep);
      for (const b of ["xlsx-btn", "csv-btn", "print-btn"]) $(b).disabled = false;
      setStatus($("audit-status"), `已审核 ${fileLabel()}：${rep.summary.rows} 行`);
    } catch (e) {
      showError("审核失败：", e);
    } finally {
      $("audit-btn").disabled = false;
    }
  }

  async function downloadReport(format) {
    if (!state.files.length) return;
    setStatus($("audit-status"), "正在生成报告…");
    try {
      const resp = await api("POST", auditURL(format), upload(), { raw: true });
      const base = state.files[0].name.replace(/\.[^.]*$/, "") + (state.files.length > 1 ? `等${state.files.length}个文件` : "");
      FC.download(await resp.blob(), `审核报告-${base}.${format}`);
      setStatus($("audit-status"), `已下载 ${format.toUpperCase()} 报告`);
    } catch (e) {
      showError("报告下载失败：", e);
    }
  }

  // loadIndicators fills the per select and the names of the indicators.
  async function loadIndicators() {
    const form = $("form").value;
    if (!form) return;
    try {
      const f = await api("GET", "/v1/forms/" + encodeURIComponent(form));
      state.names = Object.fromEntries(f.indicators.map(i => [i.id, i.name]));
      const keep = $("per").value;
      $("per").replaceChildren(el("option", { value: "", text: "不按规模（直接比较数值）" }),
        ...f.indicators.filter(i => i.type !== "percent").map(i => el("option", { value: i.id, text: `按${i.name}（每${i.unit || "单位"}）` })));
      $("per").value = keep;
    } catch (_) { /* the audit still runs; the names stay ids */ }
  }

  async function loadForms() {
    await FC.loadForms($("form"), $("audit-status"));
    await loadIndicators();
  }

  // Printing shows every collapsed detail, then restores them.
  let closed = [];
  window.addEventListener("beforeprint", () => {
    closed = Array.from(document.querySelectorAll("#result details:not([open])"));
    closed.forEach(d => { d.open = true; });
  });
  window.addEventListener("afterprint", () => { closed.forEach(d => { d.open = false; }); closed = []; });

  async function init() {
    FC.initToken(loadForms);
    await loadForms();
    $("form").addEventListener("change", loadIndicators);
    $("audit-form").addEventListener("submit", runAudit);
    $("xlsx-btn").addEventListener("click", () => downloadReport("xlsx"));
    $("csv-btn").addEventListener("click", () => downloadReport("csv"));
    $("print-btn").addEventListener("click", () => window.print());
    document.body.dataset.ready = "1";
  }

  document.addEventListener("DOMContentLoaded", init);
})();
