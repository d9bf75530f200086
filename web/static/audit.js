// figcheck console, auditor page: upload a batch, read the audit, download
// the report.
"use strict";

(() => {
  const { el, api, setStatus } = FC;
  const $ = id => document.getElementById(id);
  const state = { file: null, form: "" };

  const types = {
    csv: "text/csv", txt: "text/csv", json: "application/json", ndjson: "application/x-ndjson",
    xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
  };

  function contentType(file) {
    const ext = (file.name.split(".").pop() || "").toLowerCase();
    return types[ext] || file.type || "application/octet-stream";
  }

  function auditURL(format) {
    return "/v1/audit?form=" + encodeURIComponent(state.form) + "&format=" + format;
  }

  function table(node, head, rows, numeric = []) {
    const thead = el("thead", {}, el("tr", {}, head.map(h => el("th", { scope: "col", text: h }))));
    const tbody = el("tbody", {}, rows.length ? rows.map(r => el("tr", {},
      r.map((c, i) => el("td", { class: numeric.includes(i) ? "num" : null, text: c === undefined || c === null ? "" : String(c) }))))
      : el("tr", {}, el("td", { colspan: head.length, text: "无" })));
    node.replaceChildren(thead, tbody);
  }

  const kindText = {
    batch_rule: "跨单位规则", hierarchy: "合计不符", jump: "大幅波动", benford_first_digit: "首位数字分布异常", benford_first_two_digits: "前两位数字分布异常",
    last_digit: "尾数偏好", duplicate: "疑似照抄", peer_outlier: "明显偏离同类", batch_rule_error: "跨单位规则无法计算",
  };

  const verdictShort = { pass: "通过", warn: "警告", fail: "不通过" };

  function fmt(x) {
    return typeof x === "number" ? (Number.isInteger(x) ? String(x) : x.toFixed(4).replace(/0+$/, "").replace(/\.$/, "")) : x;
  }

  function render(rep) {
    const s = rep.summary;
    $("kpis").replaceChildren(...[
      ["行数", s.rows], ["单位", s.units], ["通过", s.pass], ["警告", s.warn], ["不通过", s.fail],
      ["异常发现", s.findings], ["读取问题", s.problems],
    ].map(([k, v]) => el("li", {}, el("b", { text: String(v ?? 0) }), k)));
    table($("top-rules"), ["规则", "严重性", "行数"],
      (s.top_rules || []).map(r => [`${r.name}(${r.rule})`, FC.severityText[r.severity] || r.severity, r.rows]), [2]);
    table($("top-units"), ["单位", "错误", "警告", "异常"],
      (s.top_units || []).map(u => [u.unit, u.errors, u.warnings, u.findings]), [1, 2, 3]);
    const vrows = [];
    for (const row of rep.rows || []) {
      for (const v of row.violations || []) {
        if (v.explained) continue;
        vrows.push([row.unit, row.period, verdictShort[row.verdict] || row.verdict, FC.severityText[v.severity] || v.severity, v.name, v.message]);
      }
    }
    table($("violations"), ["单位", "期间", "结论", "严重性", "规则", "说明"], vrows);
    table($("findings"), ["单位", "指标", "类型", "统计量", "阈值", "原因"],
      (rep.findings || []).map(f => [f.unit === "all" ? "全部" : f.unit, f.indicator_name || f.indicator || "", kindText[f.kind] || f.kind,
        `${f.statistic} = ${fmt(f.value)}`, fmt(f.threshold), f.reason]));
    const probs = rep.problems || [];
    $("problems-card").hidden = !probs.length;
    table($("problems"), ["行", "列", "单位", "问题"], probs.map(p => [p.row, p.column, p.unit, p.message]), [0]);
    $("result").hidden = false;
    $("result").focus();
  }

  async function runAudit(ev) {
    ev.preventDefault();
    const file = $("file").files[0];
    state.form = $("form").value;
    if (!file) { setStatus($("audit-status"), "请先选择数据文件", true); $("file").focus(); return; }
    state.file = file;
    setStatus($("audit-status"), `正在审核 ${file.name}…`);
    $("audit-btn").disabled = true;
    try {
      const rep = await api("POST", auditURL("json"), file, { headers: { "Content-Type": contentType(file) } });
      render(rep);
      $("xlsx-btn").disabled = false;
      $("csv-btn").disabled = false;
      setStatus($("audit-status"), `已审核 ${file.name}:${rep.summary.rows} 行`);
    } catch (e) {
      const msg = e.status === 404 && e.code === "not_found" ? "服务尚未提供审核接口（/v1/audit）" : e.message;
      setStatus($("audit-status"), "审核失败：" + msg, true);
    } finally {
      $("audit-btn").disabled = false;
    }
  }

  async function downloadReport(format) {
    if (!state.file) return;
    setStatus($("audit-status"), "正在生成报告…");
    try {
      const resp = await api("POST", auditURL(format), state.file, { raw: true, headers: { "Content-Type": contentType(state.file) } });
      const blob = await resp.blob();
      const base = state.file.name.replace(/\.[^.]*$/, "");
      FC.download(blob, `审核报告-${base}.${format}`);
      setStatus($("audit-status"), `已下载 ${format.toUpperCase()} 报告`);
    } catch (e) {
      setStatus($("audit-status"), "报告下载失败：" + e.message, true);
    }
  }

  async function init() {
    FC.initToken(() => FC.loadForms($("form"), $("audit-status")));
    await FC.loadForms($("form"), $("audit-status"));
    $("audit-form").addEventListener("submit", runAudit);
    $("xlsx-btn").addEventListener("click", () => downloadReport("xlsx"));
    $("csv-btn").addEventListener("click", () => downloadReport("csv"));
    document.body.dataset.ready = "1";
  }

  document.addEventListener("DOMContentLoaded", init);
})();
