// figcheck console: helpers shared by both pages. No dependencies.
"use strict";

const FC = (() => {
  // el builds an element; text is always set as text, never as HTML.
  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === "class") e.className = v;
      else if (k === "text") e.textContent = v;
      else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v === true ? "" : v);
    }
    for (const c of children.flat()) {
      if (c === undefined || c === null || c === false) continue;
      e.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return e;
  }

  const tokenInput = () => document.getElementById("token");

  function token() {
    const t = tokenInput();
    return t ? t.value.trim() : "";
  }

  // initToken restores the token of this browser tab; onChange runs when
  // the user enters another one (to load what the old one could not).
  function initToken(onChange) {
    const t = tokenInput();
    if (!t) return;
    t.value = sessionStorage.getItem("figcheck.token") || "";
    t.addEventListener("change", () => {
      sessionStorage.setItem("figcheck.token", t.value.trim());
      if (onChange) onChange();
    });
  }

  // ApiError carries the service's error code and message; message is
  // the Chinese text of the code followed by the service's own words
  // (rawMessage).
  class ApiError extends Error {
    constructor(status, code, message, body, rawMessage) {
      super(message);
      this.status = status;
      this.code = code;
      this.body = body; // the parsed error answer, when it was JSON
      this.rawMessage = rawMessage || message;
    }
  }

  // codeText is the Chinese text of every error code of the service
  // (api/errors.go and the codes beside it; docs/api.md lists them).
  const codeText = {
    malformed_json: "请求内容不是有效的 JSON",
    invalid_request: "请求参数有误",
    missing_form: "未指定报表",
    unknown_form: "报表不存在",
    not_found: "请求的地址不存在",
    method_not_allowed: "不支持该请求方法",
    too_large: "内容太大，超过服务允许的上限",
    too_many_items: "一次提交的条目太多",
    unsupported_media_type: "文件类型不受支持（应为 CSV、XLSX、JSON 或 NDJSON）",
    no_ruleset: "服务尚未加载规则",
    reload_failed: "规则重新加载失败",
    internal: "服务内部错误，请联系管理员",
    invalid_batch: "文件无法读取",
    unauthorized: "需要有效的访问令牌（在页面上方“访问令牌”中填写）",
    forbidden: "当前令牌无权进行此操作",
    rate_limited: "请求过于频繁，请稍后再试",
    decision_log_unavailable: "审核记录暂时无法读取",
    invalid_period: "期间格式不正确",
    submission_blocked: "仍有错误或未说明的警告，不能提交",
    unknown_submission: "找不到该次提交",
    store_unavailable: "数据库暂时无法访问，请稍后再试",
    network: "无法连接服务",
  };

  // codeMessage is the Chinese text of an error code, "" when unknown.
  function codeMessage(code) {
    return codeText[code] || "";
  }

  // api sends a request and returns the response: parsed JSON, or the
  // Response itself when raw is set. A Blob, FormData or string body goes
  // as it is; anything else as JSON. Errors become ApiError.
  async function api(method, path, body, opts = {}) {
    const headers = Object.assign({}, opts.headers || {});
    const t = token();
    if (t) headers["Authorization"] = "Bearer " + t;
    let payload = body;
    if (body !== undefined && !(body instanceof Blob) && !(body instanceof FormData) && typeof body !== "string") {
      headers["Content-Type"] = "application/json";
      payload = JSON.stringify(body);
    }
    let resp;
    try {
      resp = await fetch(path, { method, headers, body: payload });
    } catch (e) {
      throw new ApiError(0, "network", "无法连接服务：" + e.message);
    }
    if (!resp.ok) {
      let code = "http_" + resp.status, msg = resp.statusText, j;
      try {
        j = await resp.json();
        if (j && j.error) { code = j.error.code; msg = j.error.message; }
      } catch (_) { /* not JSON */ }
      throw new ApiError(resp.status, code, (codeText[code] ? codeText[code] + "。" : "") + msg, j, msg);
    }
    return opts.raw ? resp : resp.json();
  }

  // loadForms fills a select with the service's forms.
  async function loadForms(select, status) {
    try {
      const data = await api("GET", "/v1/forms");
      select.replaceChildren(...data.forms.map(f =>
        el("option", { value: f.id, "data-title": f.title || f.id, text: `${f.title || f.id}（${f.indicators} 项指标，${f.rules} 条规则）` })));
      if (status) status.textContent = "";
      return data.forms;
    } catch (e) {
      if (status) { status.textContent = "报表列表加载失败：" + e.message; status.classList.add("err"); }
      return [];
    }
  }

  // download saves a Blob under a file name.
  function download(blob, name) {
    const url = URL.createObjectURL(blob);
    const a = el("a", { href: url, download: name });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  }

  function setStatus(node, text, isError) {
    node.textContent = text;
    node.classList.toggle("err", !!isError);
  }

  // Buttons with data-template-for="SELECT-ID" download the fill-in
  // template of the form chosen in that select (with the page's token);
  // data-status names the element that shows the outcome.
  function wireTemplateButtons() {
    for (const b of document.querySelectorAll("button[data-template-for]")) {
      b.addEventListener("click", async () => {
        const select = document.getElementById(b.dataset.templateFor);
        const status = document.getElementById(b.dataset.status || "");
        const form = select ? select.value : "";
        if (!form) return;
        const title = (select.selectedOptions[0] && select.selectedOptions[0].dataset.title) || form;
        try {
          const resp = await api("GET", "/v1/forms/" + encodeURIComponent(form) + "/template.xlsx", undefined, { raw: true });
          download(await resp.blob(), title + "填报模板.xlsx");
          if (status) setStatus(status, "已下载填报模板");
        } catch (e) {
          if (status) setStatus(status, "模板下载失败：" + e.message, true);
        }
      });
    }
  }
  document.addEventListener("DOMContentLoaded", wireTemplateButtons);

  const verdictText = { pass: "通过", warn: "有警告，需填写情况说明", fail: "不通过" };
  const severityText = { error: "错误", warning: "警告", info: "提示" };

  return { el, api, ApiError, codeMessage, loadForms, download, setStatus, initToken, verdictText, severityText };
})();
