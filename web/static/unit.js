// figcheck console, unit page: fill in or paste figures, or paste report
// text, check them against the form's rules and explain warnings.
"use strict";

(() => {
  const { el, api, setStatus } = FC;
  const $ = id => document.getElementById(id);

  const state = {
    form: null,          // GET /v1/forms/:form
    byId: new Map(),     // indicator id → indicator
    byName: new Map(),   // Chinese name → indicator
    rows: new Map(),     // indicator id → {row, input, msgs, tags}
    explanations: {},    // rule id → text typed by the unit
    result: null,
    submission: null,
  };

  const skipText = { missing: "缺少数据", invalid: "数据无效", condition: "前提条件不满足" };

  function bounds(ind) {
    const lo = ind.min, hi = ind.max;
    if (lo !== undefined && hi !== undefined) return `${lo}–${hi}`;
    if (lo !== undefined) return `≥ ${lo}`;
    if (hi !== undefined) return `≤ ${hi}`;
    return "";
  }

  const typeText = { integer: "整数", number: "数值", percent: "百分比" };

  function renderForm(form) {
    state.form = form;
    state.byId.clear(); state.byName.clear(); state.rows.clear();
    const sections = new Map();
    for (const ind of form.indicators) {
      state.byId.set(ind.id, ind);
      state.byName.set(ind.name, ind);
      const key = ind.section || "其他";
      if (!sections.has(key)) sections.set(key, []);
      sections.get(key).push(ind);
    }
    const out = [];
    for (const [name, inds] of sections) {
      const fs = el("fieldset", { class: "section" }, el("legend", { text: name }),
        el("div", { class: "thead", "aria-hidden": "true" },
          el("span", { text: "指标" }), el("span", { text: "数值" }), el("span", { text: "单位" }), el("span", { text: "范围" })));
      for (const ind of inds) {
        const input = el("input", {
          type: "text", id: "f-" + ind.id, name: ind.id, inputmode: "decimal", autocomplete: "off",
          "aria-describedby": `hint-${ind.id} msgs-${ind.id}`, "aria-required": ind.required ? "true" : null,
          "data-id": ind.id,
        });
        const tags = el("span", { class: "tags" });
        const msgs = el("div", { class: "msgs", id: "msgs-" + ind.id });
        const label = el("label", { for: input.id }, ind.name,
          ind.required ? el("span", { class: "req", title: "必填", "aria-label": "必填", text: "*" }) : null, tags);
        const row = el("div", { class: "row", id: "row-" + ind.id },
          label, input,
          el("span", { class: "unit", text: ind.unit || "" }),
          el("span", { class: "bounds", id: "hint-" + ind.id, text: [typeText[ind.type], bounds(ind)].filter(Boolean).join(" ") }),
          msgs);
        state.rows.set(ind.id, { row, input, msgs, tags });
        fs.append(row);
      }
      out.push(fs);
    }
    $("sections").replaceChildren(...out);
  }

  async function loadForm(id) {
    if (!id) return;
    setStatus($("load-status"), "正在加载报表…");
    try {
      renderForm(await api("GET", "/v1/forms/" + encodeURIComponent(id)));
      setStatus($("load-status"), `共 ${state.form.indicators.length} 项指标`);
    } catch (e) {
      setStatus($("load-status"), "报表加载失败:" + e.message, true);
    }
  }

  function inputs() {
    return Array.from($("sections").querySelectorAll("input[data-id]"));
  }

  function figures() {
    const out = {};
    for (const input of inputs()) {
      const v = input.value.trim();
      if (v !== "") out[input.dataset.id] = v;
    }
    return out;
  }

  function displayName(key) {
    const prev = key.startsWith("previous.");
    const ind = state.byId.get(prev ? key.slice(9) : key);
    const name = ind ? ind.name : key;
    return prev ? "上期" + name : name;
  }

  function describeFields(fields) {
    return Object.entries(fields || {}).map(([k, v]) => {
      const ind = state.byId.get(k.replace(/^previous\./, ""));
      const val = v === null || v === undefined ? "未填" : String(v);
      return `${displayName(k)} = ${val}${ind && ind.unit && v !== null ? " " + ind.unit : ""}`;
    }).join(";");
  }

  function clearMarks() {
    for (const { row, msgs } of state.rows.values()) {
      row.classList.remove("has-error", "has-warning");
      msgs.replaceChildren();
    }
  }

  function severityClass(v) {
    return v.explained ? "explained" : v.severity;
  }

  function renderResult(res) {
    state.result = res;
    clearMarks();
    const verdict = $("verdict");
    verdict.className = "verdict " + res.verdict;
    verdict.textContent = "检查结果:" + (FC.verdictText[res.verdict] || res.verdict);
    const s = res.summary;
    $("counts").replaceChildren(
      el("li", { text: `规则 ${s.rules}` }), el("li", { text: `通过 ${s.passed}` }),
      el("li", { text: `错误 ${s.errors}` }), el("li", { text: `警告 ${s.warnings}` }),
      el("li", { text: `已说明 ${s.explained}` }), el("li", { text: `提示 ${s.infos}` }),
      el("li", { text: `跳过 ${s.skipped}` }));

    const list = el("ol", { class: "vlist", "aria-label": "违规列表" });
    for (const v of res.violations) {
      const sev = FC.severityText[v.severity] || v.severity;
      const head = v.explained ? "已说明的警告" : sev;
      const item = el("div", { class: "msg " + severityClass(v) },
        el("strong", { text: `[${head}] ` }), v.message,
        el("div", { class: "rule", text: `${v.name} · ${v.rule}` }),
        el("div", { class: "fields", text: describeFields(v.fields) }));
      const jumps = Object.keys(v.fields || {}).filter(k => state.rows.has(k)).map(k =>
        el("button", { type: "button", class: "link", onclick: () => focusField(k), text: "定位:" + displayName(k) }));
      if (jumps.length) item.append(el("div", { class: "jumps" }, jumps));
      const li = el("li", { id: "v-" + v.rule }, item);
      if (v.severity === "warning" && !v.rule.startsWith("builtin.")) {
        const tid = "expl-" + v.rule;
        const ta = el("textarea", { id: tid, rows: 2, "data-rule": v.rule, placeholder: "说明数据为何如此(如统计口径变化)" });
        ta.value = state.explanations[v.rule] || "";
        ta.addEventListener("input", () => { state.explanations[v.rule] = ta.value; });
        li.append(el("label", { for: tid, text: "情况说明(填写后重新检查)" }), ta);
      }
      // Beside each field the rule reads.
      for (const k of Object.keys(v.fields || {})) {
        const r = state.rows.get(k);
        if (!r) continue;
        if (!v.explained && v.severity === "error") r.row.classList.add("has-error");
        if (!v.explained && v.severity === "warning") r.row.classList.add("has-warning");
        r.msgs.append(el("div", { class: "msg " + severityClass(v), "data-rule": v.rule },
          el("strong", { text: `[${head}] ` }), v.message));
      }
      list.append(li);
    }
    for (const e of res.eval_errors || []) {
      list.append(el("li", {}, el("div", { class: "msg info" },
        el("strong", { text: "[无法计算] " }), `${e.name}:${e.error}`,
        el("div", { class: "fields", text: describeFields(e.fields) }))));
    }
    $("violations").replaceChildren(res.violations.length || (res.eval_errors || []).length ? list :
      el("p", { class: "status", text: "没有发现问题。" }));

    const sk = $("skipped");
    sk.hidden = !res.skipped.length;
    sk.querySelector("summary").textContent = `跳过的规则(${res.skipped.length})`;
    $("skipped-list").replaceChildren(...res.skipped.map(k => {
      const what = [...(k.missing || []), ...(k.invalid || [])].map(displayName).join("、");
      return el("li", { text: `${k.name}:${skipText[k.reason] || k.reason}${what ? "(" + what + ")" : ""}` });
    }));
    $("save-btn").disabled = false;
  }

  async function check() {
    if (!state.form) return;
    const explanations = {};
    for (const [k, v] of Object.entries(state.explanations)) if (v.trim()) explanations[k] = v.trim();
    const sub = {
      form: state.form.id, unit: $("unit").value.trim(), period: $("period").value.trim(),
      figures: figures(), explanations,
    };
    setStatus($("check-status"), "正在检查…");
    $("check-btn").disabled = true;
    try {
      const res = await api("POST", "/v1/check", sub);
      state.submission = sub;
      renderResult(res);
      setStatus($("check-status"), `已检查 ${Object.keys(sub.figures).length} 项数字`);
      $("verdict").focus();
    } catch (e) {
      setStatus($("check-status"), "检查失败:" + e.message, true);
    } finally {
      $("check-btn").disabled = false;
    }
  }

  function save() {
    if (!state.result) return;
    const blob = new Blob([JSON.stringify({ submission: state.submission, result: state.result }, null, 2)],
      { type: "application/json" });
    const name = ["figcheck", state.submission.unit, state.submission.period].filter(Boolean).join("-") + ".json";
    FC.download(blob, name);
  }

  function clearAll() {
    for (const input of inputs()) input.value = "";
    state.explanations = {};
    state.result = null;
    clearMarks();
    clearTags();
    $("verdict").className = "verdict none";
    $("verdict").textContent = "尚未检查";
    $("counts").replaceChildren();
    $("violations").replaceChildren();
    $("skipped").hidden = true;
    $("save-btn").disabled = true;
    setStatus($("check-status"), "已清空");
  }

  // Pasting a column (or name<TAB>value rows) from Excel fills several inputs.
  function onPaste(ev) {
    const input = ev.target;
    if (!input.matches || !input.matches("input[data-id]")) return;
    const text = (ev.clipboardData || window.clipboardData).getData("text/plain");
    if (!/[\t\n]/.test(text.replace(/\s+$/, ""))) return;
    ev.preventDefault();
    const lines = text.replace(/\r/g, "").replace(/\n+$/, "").split("\n");
    const cells = lines.map(l => l.split("\t").map(c => c.trim()));
    const keyed = cells.every(c => c.length >= 2 && (state.byId.has(c[0]) || state.byName.has(c[0]) || c[0] === ""));
    let n = 0;
    if (keyed) {
      for (const c of cells) {
        const ind = state.byId.get(c[0]) || state.byName.get(c[0]);
        if (ind) { state.rows.get(ind.id).input.value = c[1]; n++; }
      }
    } else {
      const all = inputs();
      let i = all.indexOf(input);
      for (const c of cells) {
        if (i >= all.length) break;
        all[i++].value = c[0];
        n++;
      }
    }
    setStatus($("check-status"), `已粘贴 ${n} 项数字`);
  }

  // Enter moves to the next figure, as in a spreadsheet; Ctrl+Enter checks.
  function onKey(ev) {
    if (ev.key !== "Enter" || !ev.target.matches("input[data-id]")) return;
    ev.preventDefault();
    if (ev.ctrlKey || ev.metaKey) { check(); return; }
    const all = inputs();
    const next = all[all.indexOf(ev.target) + (ev.shiftKey ? -1 : 1)];
    if (next) next.focus();
  }

  function clearTags() {
    for (const { row, tags } of state.rows.values()) {
      row.classList.remove("from-text");
      tags.replaceChildren();
    }
  }

  function focusField(id) {
    const r = state.rows.get(id);
    if (r) { r.input.focus(); r.input.select(); }
  }

  // highlight shows the text with the figures and placeholders marked.
  function highlight(text, res) {
    const chars = Array.from(text);
    const spans = [];
    for (const [id, f] of Object.entries(res.figures)) spans.push({ ...f, id, cls: "fig" });
    for (const a of res.ambiguous) for (const c of a.candidates) spans.push({ ...c, id: a.id, cls: "amb" });
    res.placeholders.forEach((p, i) => spans.push({ ...p, cls: "ph", n: i }));
    spans.sort((a, b) => a.offset - b.offset || b.length - a.length);
    const out = [];
    let pos = 0;
    for (const s of spans) {
      if (s.offset < pos) continue; // overlapping: the first wins
      out.push(chars.slice(pos, s.offset).join(""));
      const name = s.id ? (state.byId.get(s.id) || {}).name || s.id : "未对应指标";
      const title = s.cls === "ph" ? `未填写:${name}` : s.cls === "amb" ? `有歧义:${name}` : `${name} = ${s.value}`;
      out.push(el("mark", { class: s.cls, title, id: s.cls === "ph" ? "ph-" + s.n : null, "data-id": s.id || null },
        chars.slice(s.offset, s.offset + s.length).join("")));
      pos = s.offset + s.length;
    }
    out.push(chars.slice(pos).join(""));
    $("highlighted").replaceChildren(...out);
  }

  async function extractText() {
    if (!state.form) return;
    const text = $("report-text").value;
    if (!text.trim()) { setStatus($("extract-status"), "请先粘贴报告正文", true); return; }
    setStatus($("extract-status"), "正在提取…");
    let res;
    try {
      res = await api("POST", "/v1/extract", { form: state.form.id, text });
    } catch (e) {
      setStatus($("extract-status"), "提取失败:" + e.message, true);
      return;
    }
    clearTags();
    for (const [id, f] of Object.entries(res.figures)) {
      const r = state.rows.get(id);
      if (!r) continue;
      r.input.value = String(f.value);
      r.row.classList.add("from-text");
      r.tags.append(el("span", { class: "tag text", text: f.note ? `正文·${f.note}` : "正文" }));
    }
    const phIDs = new Set(res.placeholders.map(p => p.id).filter(Boolean));
    for (const id of phIDs) {
      const r = state.rows.get(id);
      if (r) r.tags.append(el("span", { class: "tag ph", text: "正文未填" }));
    }
    for (const a of res.ambiguous) {
      const r = state.rows.get(a.id);
      if (r) r.tags.append(el("span", { class: "tag amb", text: "正文有歧义" }));
    }
    highlight(text, res);
    $("ph-list").replaceChildren(...res.placeholders.map((p, i) => {
      const name = p.id ? (state.byId.get(p.id) || {}).name || p.id : "未对应指标";
      return el("li", {}, `${name}:「${p.snippet}」 `,
        el("button", { type: "button", onclick: () => {
          const m = document.getElementById("ph-" + i);
          if (m) m.scrollIntoView({ block: "nearest" });
          if (p.id) focusField(p.id);
        }, text: p.id ? "去填写" : "定位" }));
    }));
    $("ph-title").textContent = `未填写的占位符(${res.placeholders.length})`;
    $("amb-out").replaceChildren(...(res.ambiguous.length ? [
      el("h3", { class: "sub", text: `有歧义,未采用(${res.ambiguous.length})` }),
      el("ul", { class: "phlist" }, res.ambiguous.map(a => el("li", {},
        `${(state.byId.get(a.id) || {}).name || a.id}:` + a.candidates.map(c => `${c.value}「${c.snippet}」`).join(";") +
        (a.count > a.candidates.length ? ` 等 ${a.count} 处` : "")))),
    ] : []));
    $("extract-out").hidden = false;
    setStatus($("extract-status"),
      `提取到 ${Object.keys(res.figures).length} 项数字;未填写的占位符 ${res.placeholders.length + (res.placeholders_omitted || 0)} 处;有歧义 ${res.ambiguous.length} 项;正文中未找到 ${res.missing.length} 项。`);
  }

  async function init() {
    FC.initToken(async () => {
      if (await FC.loadForms($("form"), $("load-status")).then(f => f.length)) await loadForm($("form").value);
    });
    const forms = await FC.loadForms($("form"), $("load-status"));
    $("form").addEventListener("change", () => { clearAll(); loadForm($("form").value); });
    $("check-btn").addEventListener("click", check);
    $("check-fab").addEventListener("click", check);
    $("save-btn").addEventListener("click", save);
    $("clear-btn").addEventListener("click", clearAll);
    $("extract-btn").addEventListener("click", extractText);
    $("sections").addEventListener("paste", onPaste);
    $("sections").addEventListener("keydown", onKey);
    if (forms.length) await loadForm($("form").value);
    document.body.dataset.ready = "1";
  }

  document.addEventListener("DOMContentLoaded", init);
})();
