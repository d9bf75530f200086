// figcheck console, unit page: fill in or paste figures (with last
// period's beside them), or take them from report text or a Word document;
// check them, see the report with each figure marked, explain warnings,
// submit, and print the 自查回执.
"use strict";

(() => {
  const { el, api, setStatus } = FC;
  const $ = id => document.getElementById(id);

  const state = {
    form: null,          // GET /v1/forms/:form
    byId: new Map(),     // indicator id → indicator
    byName: new Map(),   // Chinese name → indicator
    rows: new Map(),     // indicator id → {row, input, prev, msgs, tags}
    cross: new Set(),    // ids of the rules that read last period's figures
    explanations: {},    // rule id → text typed by the unit
    result: null,        // the last check answer
    submission: null,    // what was checked
    submitted: null,     // POST /v1/submissions answer
    extraction: null,    // {text, res}: the report text and what was found in it
  };

  const skipText = { missing: "缺少数据", invalid: "数据无效", condition: "前提条件不满足" };
  const typeText = { integer: "整数", number: "数值", percent: "百分比" };

  function bounds(ind) {
    const lo = ind.min, hi = ind.max;
    if (lo !== undefined && hi !== undefined) return `${lo}–${hi}`;
    if (lo !== undefined) return `≥ ${lo}`;
    if (hi !== undefined) return `≤ ${hi}`;
    return "";
  }

  const nameOf = id => (state.byId.get(id) || {}).name || id;

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
          el("span", { text: "指标" }), el("span", { text: "数值" }), el("span", { text: "单位" }),
          el("span", { text: "上期" }), el("span", { text: "范围" })));
      for (const ind of inds) {
        const input = el("input", {
          type: "text", id: "f-" + ind.id, name: ind.id, inputmode: "decimal", autocomplete: "off",
          "aria-describedby": `hint-${ind.id} msgs-${ind.id}`, "aria-required": ind.required ? "true" : null,
          "data-id": ind.id,
        });
        const prev = el("input", {
          type: "text", id: "p-" + ind.id, inputmode: "decimal", autocomplete: "off", class: "prev",
          "aria-label": `上期${ind.name}`, placeholder: "上期", "data-prev": ind.id,
        });
        const tags = el("span", { class: "tags" });
        const msgs = el("div", { class: "msgs", id: "msgs-" + ind.id });
        const label = el("label", { for: input.id }, ind.name,
          ind.required ? el("span", { class: "req", title: "必填", "aria-label": "必填", text: "*" }) : null, tags);
        const row = el("div", { class: "row", id: "row-" + ind.id },
          label, input,
          el("span", { class: "unit", text: ind.unit || "" }),
          prev,
          el("span", { class: "bounds", id: "hint-" + ind.id, text: [typeText[ind.type], bounds(ind)].filter(Boolean).join(" ") }),
          msgs);
        state.rows.set(ind.id, { row, input, prev, msgs, tags });
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
      setStatus($("load-status"), "报表加载失败：" + e.message, true);
      return;
    }
    try {
      const r = await api("GET", "/v1/forms/" + encodeURIComponent(id) + "/rules");
      state.cross = new Set(r.rules.filter(x => (x.previous_fields || []).length).map(x => x.id));
    } catch (_) {
      state.cross = new Set(); // the count of cross-period rules is then not shown
    }
  }

  const inputs = () => Array.from($("sections").querySelectorAll("input[data-id]"));
  const prevInputs = () => Array.from($("sections").querySelectorAll("input[data-prev]"));

  function collect(list, attr) {
    const out = {};
    for (const input of list) {
      const v = input.value.trim();
      if (v !== "") out[input.dataset[attr]] = v;
    }
    return out;
  }
  const figures = () => collect(inputs(), "id");
  const previous = () => collect(prevInputs(), "prev");

  function displayName(key) {
    const prev = key.startsWith("previous.");
    const name = nameOf(prev ? key.slice(9) : key);
    return prev ? "上期" + name : name;
  }

  // withUnit writes a value with its indicator's unit, once: a value typed
  // as "37.5公里" keeps its own.
  function withUnit(ind, v) {
    const s = String(v);
    if (!ind || !ind.unit || /[^\d.\s-]$/.test(s)) return s;
    return s + ind.unit;
  }

  function describeFields(fields) {
    return Object.entries(fields || {}).map(([k, v]) => {
      const ind = state.byId.get(k.replace(/^previous\./, ""));
      return `${displayName(k)}：${v === null || v === undefined ? "未填" : withUnit(ind, v)}`;
    }).join("；");
  }

  function clearMarks() {
    for (const { row, msgs } of state.rows.values()) {
      row.classList.remove("has-error", "has-warning");
      msgs.replaceChildren();
    }
  }

  const severityClass = v => v.explained ? "explained" : v.severity;
  const headOf = v => v.explained ? "已说明的警告" : FC.severityText[v.severity] || v.severity;

  // problemsOf lists, per indicator id, the violations that read it.
  function problemsOf(res) {
    const by = new Map();
    for (const v of res ? res.violations : []) {
      for (const k of Object.keys(v.fields || {})) {
        const id = k.replace(/^previous\./, "");
        if (!by.has(id)) by.set(id, []);
        by.get(id).push(v);
      }
    }
    return by;
  }

  function renderResult(res) {
    state.result = res;
    clearMarks();
    const verdict = $("verdict");
    verdict.className = "verdict " + res.verdict;
    verdict.textContent = "检查结果：" + (FC.verdictText[res.verdict] || res.verdict);
    const s = res.summary;
    $("counts").replaceChildren(
      el("li", { text: `规则 ${s.rules}` }), el("li", { text: `通过 ${s.passed}` }),
      el("li", { text: `错误 ${s.errors}` }), el("li", { text: `警告 ${s.warnings}` }),
      el("li", { text: `已说明 ${s.explained}` }), el("li", { text: `提示 ${s.infos}` }),
      el("li", { text: `跳过 ${s.skipped}` }));
    renderCross(res);

    const list = el("ol", { class: "vlist", "aria-label": "问题列表" });
    for (const v of res.violations) {
      const head = headOf(v);
      const item = el("div", { class: "msg " + severityClass(v) },
        el("strong", { text: `【${head}】` }), v.message,
        el("div", { class: "fields", text: describeFields(v.fields) }),
        el("div", { class: "rule", text: `规则：${v.name}（编号 ${v.rule}）` }));
      const jumps = Object.keys(v.fields || {}).filter(k => state.rows.has(k)).map(k =>
        el("button", { type: "button", class: "link", onclick: () => focusField(k), text: "定位：" + displayName(k) }));
      if (jumps.length) item.append(el("div", { class: "jumps" }, jumps));
      const li = el("li", { id: "v-" + v.rule }, item);
      if (v.severity === "warning" && !v.rule.startsWith("builtin.")) {
        const tid = "expl-" + v.rule;
        const ta = el("textarea", { id: tid, rows: 2, "data-rule": v.rule, placeholder: "说明数据为何如此（如统计口径变化）" });
        ta.value = state.explanations[v.rule] || "";
        ta.addEventListener("input", () => { state.explanations[v.rule] = ta.value; });
        li.append(el("label", { for: tid, text: "情况说明（填写后重新检查）" }), ta);
      }
      // Beside each field the rule reads.
      for (const k of Object.keys(v.fields || {})) {
        const r = state.rows.get(k);
        if (!r) continue;
        if (!v.explained && v.severity === "error") r.row.classList.add("has-error");
        if (!v.explained && v.severity === "warning") r.row.classList.add("has-warning");
        r.msgs.append(el("div", { class: "msg " + severityClass(v), "data-rule": v.rule },
          el("strong", { text: `【${head}】` }), v.message));
      }
      list.append(li);
    }
    for (const e of res.eval_errors || []) {
      list.append(el("li", {}, el("div", { class: "msg info" },
        el("strong", { text: "【无法计算】" }), `${e.name}：${e.error}`,
        el("div", { class: "fields", text: describeFields(e.fields) }))));
    }
    $("violations").replaceChildren(res.violations.length || (res.eval_errors || []).length ? list :
      el("p", { class: "status", text: "没有发现问题。" }));

    const sk = $("skipped");
    sk.hidden = !res.skipped.length;
    sk.querySelector("summary").textContent = `跳过的规则（${res.skipped.length}）`;
    $("skipped-list").replaceChildren(...res.skipped.map(k => {
      const what = [...(k.missing || []), ...(k.invalid || [])].map(displayName).join("、");
      return el("li", { text: `${k.name}：${skipText[k.reason] || k.reason}${what ? "（" + what + "）" : ""}` });
    }));
    $("save-btn").disabled = false;
    $("receipt-btn").disabled = !res.receipt;
    if (state.extraction) highlight(state.extraction.text, state.extraction.res);
  }

  // renderCross says how many of the rules that compare with last period
  // ran: without last period's figures they are skipped, and a pass says
  // nothing about them.
  function renderCross(res) {
    const n = state.cross.size;
    if (!n) { setStatus($("cross-status"), ""); return; }
    const skipped = res.skipped.filter(k => state.cross.has(k.rule)).length;
    const ran = n - skipped;
    setStatus($("cross-status"), skipped
      ? `跨期规则：运行 ${ran} 条，共 ${n} 条；${skipped} 条因缺少上期数字等原因未运行，请在“上期”格中填写。`
      : `跨期规则：${n} 条全部运行。`);
  }

  function submissionBody() {
    const explanations = {};
    for (const [k, v] of Object.entries(state.explanations)) if (v.trim()) explanations[k] = v.trim();
    const sub = {
      form: state.form.id, unit: $("unit").value.trim(), period: $("period").value.trim(),
      figures: figures(), explanations,
    };
    const prev = previous();
    if (Object.keys(prev).length) sub.previous = prev;
    return sub;
  }

  async function check() {
    if (!state.form) return;
    const sub = submissionBody();
    setStatus($("check-status"), "正在检查…");
    $("check-btn").disabled = true;
    try {
      const res = await api("POST", "/v1/check", sub);
      state.submission = sub;
      state.submitted = null;
      renderResult(res);
      setStatus($("check-status"), `已检查 ${Object.keys(sub.figures).length} 项数字` +
        (sub.previous ? `、上期 ${Object.keys(sub.previous).length} 项。` : "。"));
      $("verdict").focus();
    } catch (e) {
      setStatus($("check-status"), "检查失败：" + e.message, true);
    } finally {
      $("check-btn").disabled = false;
    }
  }

  // submit stores the figures as this unit's report for the period; the
  // service refuses what does not pass and says why.
  async function submit() {
    if (!state.form) return;
    const sub = submissionBody();
    if (!sub.unit || !sub.period) { setStatus($("check-status"), "提交前请填写填报单位和期间。", true); return; }
    setStatus($("check-status"), "正在提交…");
    $("submit-btn").disabled = true;
    try {
      const out = await api("POST", "/v1/submissions", sub);
      state.submission = sub;
      state.submitted = out;
      renderResult(Object.assign({}, out.check, { receipt: out.receipt || (out.check || {}).receipt }));
      setStatus($("check-status"), `已提交：编号 ${out.id}，第 ${out.version} 版。可打印自查回执。`);
    } catch (e) {
      if (e.code === "submission_blocked") {
        const blocked = ((e.body && e.body.error && e.body.error.details) || [])[0] || {};
        if (blocked.check) { state.submission = sub; renderResult(blocked.check); }
        setStatus($("check-status"), "未能提交：" + e.message + "请先修改错误、说明警告。", true);
      } else if (e.status === 404 || e.status === 405) {
        setStatus($("check-status"), "服务未开启提交功能，可先检查并保存结果（JSON）。", true);
      } else if (e.status === 503) {
        setStatus($("check-status"), "提交服务暂不可用：" + e.message, true);
      } else {
        setStatus($("check-status"), "提交失败：" + e.message, true);
      }
    } finally {
      $("submit-btn").disabled = false;
    }
  }

  // prevPeriod is the period a "较去年" compares with: the same half or
  // quarter a year before.
  function prevPeriod(p) {
    const m = /^(\d{4})(.*)$/.exec(p.trim());
    return m ? String(+m[1] - 1) + m[2] : "";
  }

  // loadPrevious fills the 上期 column from the unit's submission for the
  // previous period, when the service keeps submissions.
  async function loadPrevious(quiet) {
    if (!state.form) return;
    const unit = $("unit").value.trim(), period = prevPeriod($("period").value);
    if (!unit || !period) {
      if (!quiet) setStatus($("prev-status"), "请先填写填报单位和期间。", true);
      return;
    }
    const q = new URLSearchParams({ form: state.form.id, unit, period });
    try {
      const out = await api("GET", "/v1/submissions?" + q);
      const list = Array.isArray(out) ? out : out.submissions || [];
      const found = list.find(s => s.unit === unit && s.figures) || list.find(s => s.figures);
      if (!found) { setStatus($("prev-status"), `没有 ${unit} ${period} 的已提交数据，可手动填写或粘贴上期数字。`); return; }
      let n = 0;
      for (const [k, v] of Object.entries(found.figures)) {
        const ind = state.byId.get(k) || state.byName.get(k);
        if (ind && v !== null && v !== undefined) { state.rows.get(ind.id).prev.value = String(v); n++; }
      }
      setStatus($("prev-status"), `已载入 ${period} 已提交的 ${n} 项数字${found.version ? `（第 ${found.version} 版）` : ""}。`);
    } catch (e) {
      if (e.status === 404 || e.status === 405 || e.status === 501 || e.status === 503) {
        setStatus($("prev-status"), "服务未保存已提交数据，请手动填写或粘贴上期数字。");
      } else {
        setStatus($("prev-status"), "上期数据载入失败：" + e.message, true);
      }
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
    for (const input of [...inputs(), ...prevInputs()]) input.value = "";
    state.explanations = {};
    state.result = null;
    state.submitted = null;
    clearMarks();
    clearTags();
    $("verdict").className = "verdict none";
    $("verdict").textContent = "尚未检查";
    $("counts").replaceChildren();
    $("violations").replaceChildren();
    setStatus($("cross-status"), "");
    $("skipped").hidden = true;
    $("save-btn").disabled = true;
    $("receipt-btn").disabled = true;
    $("receipt-view").hidden = true;
    setStatus($("check-status"), "已清空");
  }

  // Pasting from Excel: a block with names fills by name (a 上期 column
  // too), a row or a column of figures fills in order from the cell pasted
  // into. The page says what it did.
  function onPaste(ev) {
    const target = ev.target;
    if (!target.matches || !target.matches("input[data-id], input[data-prev]")) return;
    const text = (ev.clipboardData || window.clipboardData).getData("text/plain");
    if (!/[\t\n]/.test(text.replace(/\s+$/, ""))) return;
    ev.preventDefault();
    const intoPrev = target.matches("input[data-prev]");
    const p = Paste.plan(text, state.form.indicators);
    const done = [];
    let prevDone = 0;
    if (p.mode === "names") {
      for (const f of p.fills) {
        const r = state.rows.get(f.ind.id);
        if (intoPrev && f.prev === undefined) { r.prev.value = f.value; prevDone++; continue; }
        r.input.value = f.value;
        done.push(f.ind.name);
        if (f.prev !== undefined && f.prev !== "") { r.prev.value = f.prev; prevDone++; }
      }
    } else {
      const all = intoPrev ? prevInputs() : inputs();
      let i = all.indexOf(target);
      for (const v of p.fills) {
        if (i >= all.length) break;
        all[i++].value = v;
        if (intoPrev) prevDone++; else done.push(nameOf(all[i - 1].dataset.id));
      }
    }
    const parts = [];
    const start = nameOf(target.dataset.id || target.dataset.prev);
    if (p.mode === "names" && !done.length && prevDone) parts.push(`已按名称填入上期 ${prevDone} 项`);
    else if (p.mode === "names") parts.push(`已按名称填入 ${done.length} 项` + (done.length ? `（${done.slice(0, 4).join("、")}${done.length > 4 ? "等" : ""}）` : ""));
    else if (p.mode === "row") parts.push(`已把一行 ${p.fills.length} 个数字从“${start}”起依次填入${intoPrev ? "上期" : ""}`);
    else parts.push(`已把一列 ${p.fills.length} 个数字从“${start}”起向下填入${intoPrev ? "上期" : ""}`);
    if (prevDone && done.length && p.mode === "names") parts.push(`上期 ${prevDone} 项`);
    if (p.header) parts.push("跳过表头 1 行");
    if (p.unknown.length) parts.push(`未识别的名称 ${p.unknown.length} 个（${p.unknown.slice(0, 3).join("、")}），未填入`);
    setStatus($("paste-status"), parts.join("；") + "。", p.unknown.length > 0);
  }

  // Enter moves to the next figure, as in a spreadsheet; Ctrl+Enter checks.
  function onKey(ev) {
    if (ev.key !== "Enter" || !ev.target.matches("input[data-id], input[data-prev]")) return;
    ev.preventDefault();
    if (ev.ctrlKey || ev.metaKey) { check(); return; }
    const all = ev.target.matches("input[data-prev]") ? prevInputs() : inputs();
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

  // markStatus is a found figure's status in the checked report: fine, an
  // error or a warning (with the problems), or not yet checked.
  function markStatus(id, problems) {
    if (!state.result) return { cls: "fig", text: "已提取，尚未检查" };
    const open = (problems.get(id) || []).filter(v => !v.explained);
    if (open.some(v => v.severity === "error")) return { cls: "bad", text: "有错误", list: open };
    if (open.length) return { cls: "warn", text: "有警告", list: open };
    return { cls: "ok", text: "检查无问题", list: [] };
  }

  // highlight shows the report with each figure and placeholder marked by
  // its status; a mark's problems show on hover and on tap, and in a list.
  function highlight(text, res) {
    const chars = Array.from(text);
    const problems = problemsOf(state.result);
    const spans = [];
    for (const [id, f] of Object.entries(res.figures)) spans.push({ ...f, id, kind: "fig" });
    for (const a of res.ambiguous) for (const c of a.candidates) spans.push({ ...c, id: a.id, kind: "amb", others: a.others });
    res.placeholders.forEach((p, i) => spans.push({ ...p, kind: "ph", n: i }));
    spans.sort((a, b) => a.offset - b.offset || b.length - a.length);
    const out = [], listed = [];
    let pos = 0;
    for (const s of spans) {
      if (s.offset < pos) continue; // overlapping: the first wins
      out.push(chars.slice(pos, s.offset).join(""));
      const name = s.id ? nameOf(s.id) : "未对应指标";
      let cls, title, list = [];
      if (s.kind === "ph") { cls = "ph"; title = `未填写：${name}`; }
      else if (s.kind === "amb") {
        cls = "amb";
        title = `有歧义：${name}` + ((s.others || []).length ? `，也可能是${s.others.map(nameOf).join("、")}` : "") + "，未采用";
      } else {
        const st = markStatus(s.id, problems);
        cls = st.cls; list = st.list || [];
        title = `${name} = ${withUnit(state.byId.get(s.id), s.value)}：${st.text}` + list.map(v => "\n" + v.message).join("");
      }
      const m = el("mark", { class: cls, title, tabindex: "0", id: s.kind === "ph" ? "ph-" + s.n : null, "data-id": s.id || null },
        chars.slice(s.offset, s.offset + s.length).join(""));
      m.addEventListener("click", ev => { ev.stopPropagation(); showPop(m, title); });
      m.addEventListener("keydown", ev => { if (ev.key === "Enter") { ev.preventDefault(); showPop(m, title); } });
      if (list.length) listed.push({ id: s.id, name, raw: s.raw, list, mark: m, cls });
      out.push(m);
      pos = s.offset + s.length;
    }
    out.push(chars.slice(pos).join(""));
    $("highlighted").replaceChildren(...out);
    $("annot-out").replaceChildren(...(listed.length ? [
      el("h3", { class: "sub", text: `正文中有问题的数字（${listed.length}）` }),
      el("ol", { class: "phlist annot" }, listed.map(x => el("li", { class: x.cls },
        el("strong", { text: `${x.name}（正文“${x.raw}”）` }), "：",
        x.list.map(v => `【${headOf(v)}】${v.message}`).join(" "), " ",
        el("button", { type: "button", class: "noprint", onclick: () => { x.mark.scrollIntoView({ block: "nearest" }); focusField(x.id); }, text: "去修改" })))),
    ] : state.result ? [el("p", { class: "status", text: "正文中找到的数字检查均无问题。" })] : []));
  }

  function showPop(mark, text) {
    const pop = $("mark-pop");
    pop.replaceChildren(...text.split("\n").map(l => el("div", { text: l })));
    const box = $("highlighted").getBoundingClientRect(), r = mark.getBoundingClientRect();
    pop.hidden = false;
    pop.style.left = Math.max(0, Math.min(r.left - box.left, box.width - pop.offsetWidth)) + "px";
    pop.style.top = (r.bottom - box.top + $("highlighted").offsetTop + 4) + "px";
  }

  // showExtraction puts what was found in the text into the table and the
  // marked report.
  function showExtraction(text, res) {
    state.extraction = { text, res };
    clearTags();
    for (const [id, f] of Object.entries(res.figures)) {
      const r = state.rows.get(id);
      if (!r) continue;
      r.input.value = String(f.value);
      r.row.classList.add("from-text");
      r.tags.append(el("span", { class: "tag text", text: f.note ? `正文·${f.note}` : "正文" }));
    }
    for (const id of new Set(res.placeholders.map(p => p.id).filter(Boolean))) {
      const r = state.rows.get(id);
      if (r) r.tags.append(el("span", { class: "tag ph", text: "正文未填" }));
    }
    for (const a of res.ambiguous) {
      const r = state.rows.get(a.id);
      if (r) r.tags.append(el("span", { class: "tag amb", text: "正文有歧义" }));
    }
    state.result = null;
    highlight(text, res);
    $("ph-list").replaceChildren(...res.placeholders.map((p, i) => {
      const name = p.id ? nameOf(p.id) : "未对应指标";
      return el("li", {}, `${name}：“${p.snippet}” `,
        el("button", { type: "button", class: "noprint", onclick: () => {
          const m = document.getElementById("ph-" + i);
          if (m) m.scrollIntoView({ block: "nearest" });
          if (p.id) focusField(p.id);
        }, text: p.id ? "去填写" : "定位" }));
    }));
    $("ph-title").textContent = `未填写的占位符（${res.placeholders.length}）`;
    $("amb-out").replaceChildren(...(res.ambiguous.length ? [
      el("h3", { class: "sub", text: `有歧义，未采用（${res.ambiguous.length}）` }),
      el("ul", { class: "phlist" }, res.ambiguous.map(a => el("li", {},
        `${nameOf(a.id)}：` + a.candidates.map(c => `${c.value}“${c.snippet}”`).join("；") +
        (a.count > a.candidates.length ? ` 等 ${a.count} 处` : "")))),
    ] : []));
    $("extract-out").hidden = false;
    setStatus($("extract-status"),
      `提取到 ${Object.keys(res.figures).length} 项数字；未填写的占位符 ${res.placeholders.length + (res.placeholders_omitted || 0)} 处；有歧义 ${res.ambiguous.length} 项；正文中未找到 ${res.missing.length} 项。点“检查”后正文中的数字按结果标注。`);
  }

  async function extractText() {
    if (!state.form) return;
    const text = $("report-text").value;
    if (!text.trim()) { setStatus($("extract-status"), "请先粘贴报告正文", true); return; }
    setStatus($("extract-status"), "正在提取…");
    try {
      showExtraction(text, await api("POST", "/v1/extract", { form: state.form.id, text }));
    } catch (e) {
      setStatus($("extract-status"), "提取失败：" + e.message, true);
    }
  }

  // extractDocx sends a Word document; the service reads its paragraphs
  // and tables and gives back the text it read.
  async function extractDocx() {
    const file = $("docx-file").files[0];
    if (!file || !state.form) return;
    setStatus($("extract-status"), `正在读取 ${file.name}…`);
    const body = new FormData();
    body.append("form", state.form.id);
    body.append("file", file, file.name);
    try {
      const res = await api("POST", "/v1/extract", body);
      $("report-text").value = res.text || "";
      showExtraction(res.text || "", res);
    } catch (e) {
      setStatus($("extract-status"), `读取 ${file.name} 失败：` + e.message, true);
    } finally {
      $("docx-file").value = "";
    }
  }

  function printView(which) {
    if (which === "annotated") $("text-panel").open = true;
    document.body.dataset.print = which;
    window.print();
  }

  // pad and stamp write the receipt's time as people read it.
  const pad = n => String(n).padStart(2, "0");
  function stamp(iso) {
    const d = new Date(iso);
    if (isNaN(d)) return iso || "";
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  }

  // showReceipt builds the printable 自查回执 of the last check.
  async function showReceipt() {
    const res = state.result;
    if (!res || !res.receipt) return;
    const r = res.receipt;
    const facts = [
      ["填报单位", r.unit || "（未填写）"], ["期间", r.period || "（未填写）"], ["报表", state.form.title || r.form],
      ["检查时间", stamp(r.time)], ["检查结论", FC.verdictText[r.verdict] || r.verdict],
      ["问题", `错误 ${res.summary.errors} 项，警告 ${res.summary.warnings} 项（已说明 ${res.summary.explained} 项）`],
    ];
    if (state.submitted) facts.push(["提交编号", `${state.submitted.id}（第 ${state.submitted.version} 版）`]);
    facts.push(["回执编号", res.check_id || ""], ["签名", `${r.kid} · ${r.sig}`]);
    $("receipt-facts").replaceChildren(...facts.flatMap(([k, v]) => [el("dt", { text: k }), el("dd", { text: v })]));
    $("receipt-problems").replaceChildren(...(res.violations.length ? res.violations.map(v =>
      el("li", { class: severityClass(v) }, `【${headOf(v)}】${v.message}`,
        state.explanations[v.rule] ? el("div", { class: "fields", text: "情况说明：" + state.explanations[v.rule] }) : null))
      : [el("li", { text: "未发现问题。" })]));
    setStatus($("receipt-status"), "");
    $("receipt-view").hidden = false;
    $("receipt-view").scrollIntoView({ block: "start" });
    const img = $("receipt-qr");
    img.removeAttribute("src");
    try {
      const resp = await api("POST", "/v1/receipts/qr", { receipt: r }, { raw: true });
      img.src = await blobURL(await resp.blob());
    } catch (e) {
      img.alt = "二维码生成失败：" + e.message;
    }
  }

  // verifyReceipt asks the service whether the receipt is genuine and
  // covers exactly the figures that were checked.
  async function verifyReceipt() {
    const res = state.result;
    if (!res || !res.receipt || !state.submission) return;
    try {
      const out = await api("POST", "/v1/receipts/verify", { receipt: res.receipt, submission: state.submission });
      setStatus($("receipt-status"), out.valid ? `回执有效：与所填数字一致，检查于 ${stamp(out.time || res.receipt.time)}，结论为${FC.verdictText[out.verdict] || out.verdict}。`
        : `回执无效：${out.message || out.reason}`, !out.valid);
    } catch (e) {
      setStatus($("receipt-status"), "核验失败：" + e.message, true);
    }
  }

  // blobURL reads an image as a data: URL, which the page's policy allows.
  function blobURL(blob) {
    return new Promise((resolve, reject) => {
      const fr = new FileReader();
      fr.onload = () => resolve(fr.result);
      fr.onerror = () => reject(fr.error);
      fr.readAsDataURL(blob);
    });
  }

  async function init() {
    FC.initToken(async () => {
      if (await FC.loadForms($("form"), $("load-status")).then(f => f.length)) await loadForm($("form").value);
    });
    const forms = await FC.loadForms($("form"), $("load-status"));
    $("form").addEventListener("change", () => { clearAll(); loadForm($("form").value); });
    $("check-btn").addEventListener("click", check);
    $("check-fab").addEventListener("click", check);
    $("submit-btn").addEventListener("click", submit);
    $("save-btn").addEventListener("click", save);
    $("clear-btn").addEventListener("click", clearAll);
    $("receipt-btn").addEventListener("click", showReceipt);
    $("receipt-print").addEventListener("click", () => printView("receipt"));
    $("receipt-verify").addEventListener("click", verifyReceipt);
    $("receipt-close").addEventListener("click", () => { $("receipt-view").hidden = true; });
    $("annot-print").addEventListener("click", () => printView("annotated"));
    $("extract-btn").addEventListener("click", extractText);
    $("docx-file").addEventListener("change", extractDocx);
    $("prev-load").addEventListener("click", () => loadPrevious(false));
    $("sections").addEventListener("paste", onPaste);
    $("sections").addEventListener("keydown", onKey);
    document.addEventListener("click", ev => { if (!ev.target.closest("#mark-pop")) $("mark-pop").hidden = true; });
    window.addEventListener("afterprint", () => { delete document.body.dataset.print; });
    if (forms.length) await loadForm($("form").value);
    document.body.dataset.ready = "1";
  }

  document.addEventListener("DOMContentLoaded", init);
})();
