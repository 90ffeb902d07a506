/*
 * 在线举报与举报查询 · Report form and status look-up, enhanced.
 *
 * The forms work without this script (plain POSTs to /api/form/...). With it:
 * checks before sending, attachments uploaded one by one with progress, the report sent
 * as JSON with an Idempotency-Key kept for retries (a retry after a lost answer gets the
 * same receipt, never a second report), the receipt shown in the page, the poster tag
 * from the QR link carried along and its issuer shown, and the status page answered in
 * place with a form to add information. An error goes as soon as its field is fixed; files
 * are checked against the limits the form states (from the server's settings) before any
 * upload; times are shown in Beijing time whatever the device's zone; the receipt code
 * breaks only between its groups. The receipt code is held only in memory: never in the
 * address, in storage or in a log.
 */
(function () {
  "use strict";

  var reportForm = document.getElementById("report-form");
  var statusForm = document.getElementById("status-form");
  if (!(reportForm || statusForm) || !window.fetch || !window.FormData || !window.Promise) return;
  if (!window.JubaoText) return;

  var EN = window.JubaoText.en;
  var TAG = /^[a-z0-9][a-z0-9-]{0,47}\.[A-Za-z0-9_-]{8,16}$/;
  var FIELD_OF = { // API error locations -> form field names (as the no-JS form does)
    "reporter.name": "reporter_name", "reporter.phone": "reporter_phone",
    "reporter.email": "reporter_email", "reporter": "reporter_name", "attachments": "files"
  };
  var M = {
    required: ["请填写此项", "Please fill this in"],
    choose: ["请选择一项", "Please choose one"],
    unit_short: ["请填写被举报单位的名称（至少 2 个字）", "Give the unit's name (2 characters at least)"],
    desc_short: ["请具体描述情况（至少 10 个字）", "Please describe it (10 characters at least)"],
    contact: ["请填写姓名或联系方式，或者勾选“匿名举报”", "Give a name or a contact, or tick “Report anonymously”"],
    employee: ["从业人员举报本单位须填写姓名和联系电话或邮箱", "Employees reporting their employer give a name and a phone or email"],
    too_big: ["文件“{name}”过大：每个文件不能超过 {size}", "“{name}” is too large: each file may be {size} at most"],
    too_many: ["最多可以选择 {max} 个文件", "Choose {max} files at most"],
    bad_type: ["文件“{name}”的格式不支持，请选择照片、视频或 PDF", "“{name}” is not a supported type: choose a photo, a video or a PDF"],
    beijing: ["北京时间", "Beijing time"],
    fix: ["请修改以下内容后重新提交：", "Please correct the following and submit again:"],
    network: ["网络连接失败，请检查网络后再次点击提交。再次提交不会产生重复举报。",
      "The connection failed. Check your network and submit again; this will not create a second report."],
    server: ["服务暂时不可用，请稍后再试，或拨打举报电话。", "The service is unavailable; try again later or call the hotline."],
    uploading: ["正在上传附件", "Uploading attachments"],
    sending: ["正在提交…", "Sending…"],
    looking: ["正在查询…", "Looking up…"],
    poster: ["本海报由{issuer}发布。", "This poster was issued by {issuer}."],
    thanks: ["举报已收到，感谢您！", "Your report has been received. Thank you!"],
    keep: ["请抄写或打印并妥善保管下面的回执码。凭回执码可以查询办理进度、补充材料。回执码只显示这一次，丢失后无法找回。",
      "Copy or print this receipt code and keep it safe. With it you can follow the case and add information. It is shown only once and cannot be recovered."],
    receipt: ["回执码", "Receipt code"],
    number: ["举报编号", "Report number"],
    received: ["接收时间", "Received"],
    status: ["办理状态", "Status"],
    acceptance_due: ["受理期限", "Acceptance decision due"],
    verification_due: ["核查期限", "Verification due"],
    unit: ["办理单位", "Handled by"],
    issuer: ["本海报发布单位", "Poster issued by"],
    print: ["打印回执", "Print the receipt"],
    copy: ["复制回执码", "Copy the code"],
    copied: ["已复制", "Copied"],
    check: ["查询办理进度", "Check my report"],
    feedback: ["办理反馈", "Feedback"],
    no_feedback: ["暂无反馈。", "No feedback yet."],
    supplements: ["补充次数", "Additions so far"],
    add_title: ["补充情况", "Add information"],
    add_label: ["补充的情况（2–5000 字）", "What to add (2-5000 characters)"],
    add_files: ["补充证据（选填）", "More evidence (optional)"],
    add_submit: ["提交补充", "Send"],
    added: ["补充材料已提交。", "Your addition has been received."],
    add_short: ["请至少填写 2 个字", "Please write at least 2 characters"]
  };
  var t = window.JubaoText.of(M);
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") node.textContent = attrs[k];
      else if (k === "className") node.className = attrs[k];
      else node.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { if (c) node.appendChild(c); });
    return node;
  }
  function chars(s) { return Array.from(s.trim()).length; }
  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 15) | 64; b[8] = (b[8] & 63) | 128;
    var h = Array.from(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }
  function apiBase(form) { // "/api/form/report" -> "/api": one place says where the API is
    return form.getAttribute("action").replace(/\/form\/[a-z]+$/, "");
  }
  /* Times as people in Anhui read them, whatever the device's time zone: Beijing time
     (UTC+8, no daylight saving), said so. The API answers in UTC (ISO 8601). */
  function beijingDate(iso) {
    var d = new Date(iso);
    if (isNaN(d)) return null;
    var b = new Date(d.getTime() + 8 * 3600 * 1000);
    function p(n) { return (n < 10 ? "0" : "") + n; }
    return { day: b.getUTCFullYear() + "-" + p(b.getUTCMonth() + 1) + "-" + p(b.getUTCDate()),
      time: p(b.getUTCHours()) + ":" + p(b.getUTCMinutes()) };
  }
  function beijingTime(iso) {
    var b = beijingDate(iso);
    if (!b) return iso;
    return b.day + " " + b.time + (EN ? " (" + t("beijing") + ")" : "（" + t("beijing") + "）");
  }
  /* The receipt code with each group kept whole: a line breaks only after a hyphen. */
  function receiptCode(code) {
    var node = el("p", { className: "jubao-receipt__code", id: "receipt-code" });
    code.split("-").forEach(function (group, i) {
      if (i) { node.appendChild(document.createTextNode("-")); node.appendChild(document.createElement("wbr")); }
      node.appendChild(el("span", { className: "receipt-group", text: group }));
    });
    return node;
  }

  /* An error the API answered: {error: {code, message_zh, message_en, fields: [...]}} */
  function ApiError(status, body) {
    var e = (body && body.error) || {};
    this.status = status;
    this.message = (EN ? e.message_en : e.message_zh) || t("server");
    this.fields = (e.fields || []).map(function (f) {
      return { field: FIELD_OF[f.field] || String(f.field).split(".")[0], message: EN ? f.message_en : f.message_zh };
    });
  }
  function NetworkError() { this.message = t("network"); }

  function postJSON(url, payload, headers) {
    var h = { "Content-Type": "application/json", "Accept": "application/json" };
    Object.keys(headers || {}).forEach(function (k) { h[k] = headers[k]; });
    return fetch(url, { method: "POST", headers: h, body: JSON.stringify(payload), credentials: "same-origin", cache: "no-store" })
      .catch(function () { throw new NetworkError(); })
      .then(function (r) {
        return r.json().catch(function () { return null; }).then(function (body) {
          if (!r.ok) throw new ApiError(r.status, body);
          return body;
        });
      });
  }

  /* ---- errors shown next to fields and in a summary (focus moves there) ---------- */
  function clearErrors(form) {
    var summary = form.querySelector(".jubao-errors");
    if (summary) summary.remove();
    form.querySelectorAll(".field.has-error").forEach(function (f) { f.classList.remove("has-error"); });
    form.querySelectorAll(".field-error").forEach(function (p) { p.textContent = ""; p.hidden = true; p.removeAttribute("role"); });
    form.querySelectorAll("[aria-invalid]").forEach(function (c) { c.removeAttribute("aria-invalid"); });
  }
  function showErrors(form, errors, general, fromServer) {
    clearErrors(form);
    var items = [];
    errors.forEach(function (e) {
      var box = form.querySelector('.field[data-field="' + e.field + '"]');
      if (box) {
        box.classList.add("has-error");
        box.dataset.errorFrom = fromServer ? "server" : "check";
        var p = box.querySelector(".field-error");
        if (p && !p.textContent) { p.textContent = e.message; p.hidden = false; }
        var control = box.querySelector("input, select, textarea");
        if (control) {
          control.setAttribute("aria-invalid", "true");
          if (!control.id) control.id = "f-" + e.field + "-first"; // radios have no id
        }
        var id = control && control.id;
        var label = box.querySelector("label, legend");
        var text = (label ? label.textContent.trim() + "：" : "") + e.message;
        items.push(el("li", { "data-field": e.field }, [id ? el("a", { href: "#" + id, text: text }) : document.createTextNode(text)]));
      } else {
        items.push(el("li", { text: e.message }));
      }
    });
    var summary = el("div", { className: "jubao-errors", role: "alert", tabindex: "-1" }, [
      el("p", { text: general || t("fix") }),
      items.length ? el("ul", {}, items) : null
    ]);
    form.insertBefore(summary, form.firstChild);
    summary.focus();
  }

  /* An error goes as soon as its field is fixed, with its line in the summary (the
     summary too once empty). ``check`` is the form's own check: a field it checks is
     fixed when it no longer fails; any other (an error only the server could find) once
     its control has been changed. Nothing new is shown while typing. */
  function clearField(form, name) {
    var box = form.querySelector('.field[data-field="' + name + '"]');
    if (box) {
      box.classList.remove("has-error");
      var p = box.querySelector(".field-error");
      if (p) { p.textContent = ""; p.hidden = true; p.removeAttribute("role"); }
      box.querySelectorAll("[aria-invalid]").forEach(function (c) { c.removeAttribute("aria-invalid"); });
    }
    var summary = form.querySelector(".jubao-errors");
    if (!summary) return;
    summary.querySelectorAll('li[data-field="' + name + '"]').forEach(function (li) { li.remove(); });
    if (!summary.querySelector("li")) summary.remove();
  }
  function clearWhenFixed(form, check, checked) {
    function update(ev) {
      var failing = {};
      check().forEach(function (e) { failing[e.field] = true; });
      form.querySelectorAll(".field.has-error").forEach(function (box) {
        var name = box.dataset.field;
        var own = box.contains(ev.target);
        var passes = checked.indexOf(name) < 0 || !failing[name];
        // what the server refused is fixed only by changing that field (and passing the check)
        var fixed = box.dataset.errorFrom === "server" ? own && passes : (checked.indexOf(name) >= 0 ? passes : own);
        if (fixed) clearField(form, name);
      });
    }
    form.addEventListener("input", update);
    form.addEventListener("change", update);
  }
  /* Files against the limits the form states (data-max-* of the input, from the settings). */
  function fileErrors(input) {
    var files = Array.from(input.files || []);
    var max = Number(input.dataset.maxFiles), bytes = Number(input.dataset.maxBytes), size = input.dataset.maxSize;
    var types = (input.getAttribute("accept") || "").split(",");
    var errors = [];
    if (max >= 0 && files.length > max) errors.push(t("too_many", { max: max }));
    files.forEach(function (f) {
      if (bytes && f.size > bytes) errors.push(t("too_big", { name: f.name, size: size }));
      else if (f.type && types.indexOf(f.type) < 0) errors.push(t("bad_type", { name: f.name }));
    });
    return errors.length ? [{ field: "files", message: errors.join("；") }] : [];
  }

  /* ---- attachments: ticket, then a multipart POST of the file (with progress) ------ */
  function upload(base, region, file, onProgress) {
    return postJSON(base + "/attachments", { region: region, content_type: file.type || "application/octet-stream", size: file.size })
      .then(function (ticket) {
        return new Promise(function (resolve, reject) {
          var data = new FormData();
          Object.keys(ticket.fields || {}).forEach(function (k) { data.append(k, ticket.fields[k]); });
          data.append("file", file, file.name);
          var xhr = new XMLHttpRequest();
          xhr.open(ticket.method || "POST", ticket.url);
          xhr.upload.onprogress = function (ev) { if (ev.lengthComputable) onProgress(ev.loaded, ev.total); };
          xhr.onload = function () {
            if (xhr.status >= 200 && xhr.status < 300) resolve(ticket.attachment_id);
            else {
              var body = null;
              try { body = JSON.parse(xhr.responseText); } catch (e) { /* S3 answers XML */ }
              reject(new ApiError(xhr.status, body));
            }
          };
          xhr.onerror = function () { reject(new NetworkError()); };
          xhr.send(data);
        });
      });
  }
  function progressBox(form, before) {
    var bar = el("progress", { max: "100", value: "0" });
    var label = el("span", { text: t("uploading") });
    var box = el("div", { className: "jubao-progress", role: "status" }, [label, bar]);
    form.insertBefore(box, before);
    return {
      set: function (done, total, name) { bar.value = Math.round(done * 100 / Math.max(total, 1)); label.textContent = t("uploading") + " " + name; },
      remove: function () { box.remove(); }
    };
  }
  /* Upload each file once: a retry reuses the ids, so the retried body (and with it the
     Idempotency-Key) stays the same. */
  var uploaded = new WeakMap();
  function uploadAll(form, base, region, files) {
    var ids = [];
    if (!files.length) return Promise.resolve(ids);
    var submit = form.querySelector("button[type=submit]");
    var progress = progressBox(form, submit);
    var total = files.reduce(function (s, f) { return s + f.size; }, 0);
    var before = 0;
    return files.reduce(function (chain, file) {
      return chain.then(function () {
        if (uploaded.has(file)) { ids.push(uploaded.get(file)); before += file.size; return null; }
        return upload(base, region, file, function (loaded) { progress.set(before + loaded, total, file.name); })
          .then(function (id) { uploaded.set(file, id); ids.push(id); before += file.size; });
      });
    }, Promise.resolve()).then(function () { progress.remove(); return ids; }, function (e) { progress.remove(); throw e; });
  }

  function busy(form, on, text) {
    var b = form.querySelector("button[type=submit]");
    if (!b) return;
    if (on) { b.dataset.label = b.textContent; b.textContent = text; b.disabled = true; }
    else if (b.dataset.label) { b.textContent = b.dataset.label; b.disabled = false; }
  }
  /* The acceptance due date is shown only when the office confirmed the limit as its own
     commitment (the site build says so on the form's wrapper, as the core's pages do). */
  function acceptancePromised(id) {
    var box = document.getElementById(id);
    return !!box && box.dataset.acceptanceDue === "shown";
  }

  /* Focus a message and bring it into view (below the sticky header). */
  function showFirst(node) {
    if (!node) return;
    node.focus({ preventScroll: true });
    window.scrollTo(0, Math.max(0, node.getBoundingClientRect().top + window.pageYOffset - 80));
  }

  function facts(rows) {
    var dl = el("dl", { className: "jubao-facts" });
    rows.forEach(function (r) {
      if (r[1] === null || r[1] === undefined || r[1] === "") return;
      dl.appendChild(el("dt", { text: r[0] }));
      dl.appendChild(el("dd", { text: String(r[1]) }));
    });
    return dl;
  }

  /* ---- the report form ----------------------------------------------------------- */
  function enhanceReport(form) {
    var base = apiBase(form);
    var field = function (name) { return form.elements[name]; };
    var box = function (name) { return form.querySelector('.field[data-field="' + name + '"]'); };
    var key = null;      // Idempotency-Key, kept while the body stays the same
    var lastBody = null;
    form.noValidate = true;

    // the poster tag from the QR link: carried in the hidden field, issuer shown
    var src = new URLSearchParams(location.search).get("src");
    if (src && TAG.test(src)) {
      field("source").value = src;
      postJSON(base + "/tags/verify", { tag: src }).then(function (r) {
        if (!r || !r.valid) { field("source").value = ""; return; }
        var notice = document.getElementById("poster-notice");
        if (notice) { notice.textContent = t("poster", { issuer: EN ? r.issuer_en : r.issuer }); notice.hidden = false; }
      }, function () { /* keep the tag: the server checks it again */ });
    }

    // anonymous is a clear choice: it hides the identity fields; the reward warning
    // shows whenever nobody could be told about a reward
    var warning = document.getElementById("anonymous-warning");
    var identity = ["reporter_name", "reporter_phone", "reporter_email", "reporter_employee"];
    function syncIdentity() {
      var anonymous = field("anonymous").checked;
      identity.forEach(function (n) {
        var b = box(n);
        if (b) b.classList.toggle("is-hidden", anonymous);
        field(n).disabled = anonymous;
      });
      var contact = field("reporter_phone").value.trim() || field("reporter_email").value.trim();
      if (warning) warning.hidden = !(anonymous || !contact);
    }
    ["anonymous", "reporter_phone", "reporter_email"].forEach(function (n) {
      field(n).addEventListener(n === "anonymous" ? "change" : "input", syncIdentity);
    });
    syncIdentity();

    function check() {
      var errors = [];
      var v = function (n) { return (field(n).value || "").trim(); };
      if (!form.querySelector('input[name="kind"]:checked')) errors.push({ field: "kind", message: t("choose") });
      if (!v("region")) errors.push({ field: "region", message: t("choose") });
      if (!v("industry")) errors.push({ field: "industry", message: t("choose") });
      if (chars(v("unit_name")) < 2) errors.push({ field: "unit_name", message: t("unit_short") });
      if (chars(v("description")) < 10) errors.push({ field: "description", message: t("desc_short") });
      if (!field("anonymous").checked) {
        var employee = field("reporter_employee").checked;
        var contact = v("reporter_phone") || v("reporter_email");
        if (employee && !(v("reporter_name") && contact)) errors.push({ field: "reporter_name", message: t("employee") });
        else if (!employee && !v("reporter_name") && !contact) errors.push({ field: "reporter_name", message: t("contact") });
      }
      return errors.concat(fileErrors(field("files")));
    }
    clearWhenFixed(form, check, ["kind", "region", "industry", "unit_name", "description", "reporter_name", "files"]);

    function payload(attachmentIds) {
      var v = function (n) { return (field(n).value || "").trim(); };
      var p = {
        kind: form.querySelector('input[name="kind"]:checked').value,
        region: v("region"), industry: v("industry"), unit_name: v("unit_name"),
        description: field("description").value.trim(), website: field("website").value
      };
      if (v("address")) p.address = v("address");
      if (v("occurred_at")) p.occurred_at = v("occurred_at");
      if (v("source")) p.source = v("source");
      if (!field("anonymous").checked) {
        p.reporter = { name: v("reporter_name"), phone: v("reporter_phone"), email: v("reporter_email"), employee: field("reporter_employee").checked };
      }
      if (attachmentIds.length) p.attachments = attachmentIds;
      return p;
    }

    function showReceipt(r) {
      var code = receiptCode(r.receipt);
      var copyButton = el("button", { type: "button", className: "md-button", text: t("copy") });
      var printButton = el("button", { type: "button", className: "md-button md-button--primary", text: t("print") });
      var statusLink = el("a", { className: "md-button", href: document.getElementById("report-app").dataset.statusUrl, text: t("check") });
      var panel = el("section", { className: "jubao-receipt", id: "receipt", tabindex: "-1", "aria-labelledby": "receipt-title" }, [
        el("h2", { id: "receipt-title", text: t("thanks") }),
        el("p", { text: t("keep") }),
        el("p", { className: "jubao-receipt__label", text: t("receipt") }),
        code,
        facts([
          [t("number"), r.report_number],
          [t("received"), beijingTime(r.received_at)],
          [t("status"), EN ? r.status_label_en : r.status_label],
          [t("acceptance_due"), acceptancePromised("report-app") ? r.acceptance_due : null],
          [t("unit"), r.handling_unit],
          [t("issuer"), r.source_issuer]
        ]),
        el("div", { className: "jubao-actions" }, [printButton, copyButton, statusLink])
      ]);
      printButton.addEventListener("click", function () { window.print(); });
      copyButton.addEventListener("click", function () {
        var done = function () { copyButton.textContent = t("copied"); };
        if (navigator.clipboard) navigator.clipboard.writeText(r.receipt).then(done, function () {});
      });
      form.replaceWith(panel);
      var notice = document.getElementById("poster-notice");
      if (notice) notice.hidden = true;
      document.body.classList.add("jubao-receipt-printing");
      panel.focus();
      window.scrollTo(0, panel.getBoundingClientRect().top + window.pageYOffset - 80);
    }

    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var errors = check();
      if (errors.length) { showErrors(form, errors); return; }
      clearErrors(form);
      busy(form, true, t("sending"));
      var files = Array.from(field("files").files || []);
      uploadAll(form, base, field("region").value, files).then(function (ids) {
        var body = payload(ids);
        var text = JSON.stringify(body);
        if (text !== lastBody) { key = uuid(); lastBody = text; }
        return postJSON(base + "/reports", body, { "Idempotency-Key": key });
      }).then(function (receipt) {
        key = null; lastBody = null;
        showReceipt(receipt);
      }, function (e) {
        busy(form, false);
        if (e instanceof ApiError) showErrors(form, e.fields, e.message, true);
        else showErrors(form, [], e.message || t("server"));
      });
    });
  }

  /* ---- the status page ------------------------------------------------------------- */
  function enhanceStatus(form) {
    var base = apiBase(form);
    var out = document.getElementById("status-result");
    var receipt = null; // in memory only
    form.noValidate = true;
    clearWhenFixed(form, function () {
      return form.elements.receipt.value.trim() ? [] : [{ field: "receipt", message: t("required") }];
    }, []);

    function render(s, message) {
      out.textContent = "";
      var items = (s.feedback || []).map(function (f) {
        var b = beijingDate(f.at);
        return el("li", {}, [el("time", { text: b ? b.day : f.at }), document.createTextNode(" " + f.text)]);
      });
      var addForm = supplementForm(s);
      out.appendChild(el("section", { "aria-labelledby": "status-title", tabindex: "-1", id: "status-panel" }, [
        message ? el("p", { className: "jubao-poster-notice", id: "status-message", role: "status", tabindex: "-1", text: message }) : null,
        el("h2", { id: "status-title", text: t("status") + "：" + (EN ? s.status_label_en : s.status_label) }),
        facts([
          [t("number"), s.report_number],
          [t("received"), beijingTime(s.received_at)],
          [t("acceptance_due"), acceptancePromised("status-app") && s.deadlines ? s.deadlines.acceptance_due : null],
          [t("verification_due"), s.deadlines && s.deadlines.verification_due],
          [t("supplements"), s.supplements]
        ]),
        el("h3", { text: t("feedback") }),
        items.length ? el("ul", { className: "jubao-feedback" }, items) : el("p", { text: t("no_feedback") }),
        addForm
      ]));
      out.hidden = false;
      showFirst(out.querySelector(message ? "#status-message" : "#status-panel"));
    }

    function supplementForm(s) {
      var area = el("textarea", { id: "s-text", name: "text", rows: "5", maxlength: "5000", "aria-describedby": "s-text-error" });
      var app = document.getElementById("status-app").dataset;
      var files = el("input", { type: "file", id: "s-files", name: "files", multiple: "", accept: app.accept,
        "data-max-bytes": app.maxBytes, "data-max-size": app.maxSize, "data-max-files": app.maxFiles,
        "aria-describedby": "s-files-hint s-files-error" });
      var f = el("form", { className: "jubao-form", id: "supplement-form", novalidate: "" }, [
        el("h3", { text: t("add_title") }),
        el("div", { className: "field", "data-field": "text" }, [
          el("label", { for: "s-text", text: t("add_label") }), area,
          el("p", { className: "field-error", id: "s-text-error", hidden: "" })
        ]),
        el("div", { className: "field", "data-field": "files" }, [
          el("label", { for: "s-files", text: t("add_files") }),
          el("p", { className: "field-hint", id: "s-files-hint", text: app.filesHint }), files,
          el("p", { className: "field-error", id: "s-files-error", hidden: "" })
        ]),
        el("button", { type: "submit", className: "md-button md-button--primary", text: t("add_submit") })
      ]);
      function checkAddition() {
        var errors = chars(area.value) < 2 ? [{ field: "text", message: t("add_short") }] : [];
        return errors.concat(fileErrors(files));
      }
      clearWhenFixed(f, checkAddition, ["text", "files"]);
      f.addEventListener("submit", function (ev) {
        ev.preventDefault();
        var errors = checkAddition();
        if (errors.length) { showErrors(f, errors); return; }
        clearErrors(f);
        busy(f, true, t("sending"));
        uploadAll(f, base, s.region, Array.from(files.files || [])).then(function (ids) {
          var body = { receipt: receipt, text: area.value.trim() };
          if (ids.length) body.attachments = ids;
          return postJSON(base + "/reports/supplement", body);
        }).then(function (updated) { render(updated, t("added")); }, function (e) {
          busy(f, false);
          showErrors(f, e.fields || [], e.message, true);
        });
      });
      return f;
    }

    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var value = form.elements.receipt.value.trim();
      if (!value) { showErrors(form, [{ field: "receipt", message: t("required") }]); return; }
      clearErrors(form);
      busy(form, true, t("looking"));
      postJSON(base + "/status", { receipt: value }).then(function (s) {
        busy(form, false);
        receipt = value;
        render(s);
      }, function (e) {
        busy(form, false);
        out.hidden = true;
        showErrors(form, (e.fields || []).length ? e.fields : [{ field: "receipt", message: e.message }], e.message, true);
      });
    });
  }

  /* ---- the region from the poster tag -------------------------------------------- */
  // A poster's QR link is /report/?src=<region code>-<place>.<mac> (chalicelib/tags.py).
  // While no region is chosen, start from the poster's: only the tag's shape is checked
  // here (its MAC is the server's to check), and a code the list does not offer, or any
  // damaged tag, changes nothing. The reporter can always choose another region.
  var TAG_REGION = /^([0-9]{6})-[a-z][a-z0-9-]{0,40}\.[A-Za-z0-9_-]{8,16}$/;
  function prefillRegion(form) {
    var select = form.elements.region;
    if (!select || select.value || !window.URLSearchParams) return;
    var src = new URLSearchParams(location.search).get("src") || "";
    var match = src.length <= 80 ? TAG_REGION.exec(src) : null;
    if (!match) return;
    for (var i = 0; i < select.options.length; i++) {
      if (select.options[i].value === match[1]) { select.value = match[1]; return; }
    }
  }

  if (reportForm) prefillRegion(reportForm);
  if (reportForm) enhanceReport(reportForm);
  if (statusForm) enhanceStatus(statusForm);
})();
