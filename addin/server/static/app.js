// Upload with a progress bar (XMLHttpRequest); without script the forms post normally.
(function () {
  document.querySelectorAll("[data-upload]").forEach(function (form) {
    var drop = form.querySelector("[data-drop]"), input = form.querySelector("input[type=file]");
    var bar = form.querySelector("[data-progress]"), text = form.querySelector("[data-progress-text]");
    ["dragenter", "dragover"].forEach(function (e) { drop.addEventListener(e, function (ev) { ev.preventDefault(); drop.classList.add("over"); }); });
    ["dragleave", "drop"].forEach(function (e) { drop.addEventListener(e, function () { drop.classList.remove("over"); }); });
    drop.addEventListener("drop", function (ev) { ev.preventDefault(); if (ev.dataTransfer.files.length) { input.files = ev.dataTransfer.files; } });
    form.addEventListener("submit", function (ev) {
      if (!window.FormData || !input.files.length) { return; }
      ev.preventDefault();
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.action);
      xhr.setRequestHeader("Accept", "application/json");
      bar.hidden = false; bar.value = 0; text.textContent = "正在上传……";
      xhr.upload.onprogress = function (e) {
        if (e.lengthComputable) { bar.value = Math.round(e.loaded * 100 / e.total); text.textContent = "正在上传 " + bar.value + "%"; }
      };
      xhr.upload.onload = function () { bar.removeAttribute("value"); text.textContent = "上传完成，正在校验……"; };
      xhr.onload = function () {
        var data = {};
        try { data = JSON.parse(xhr.responseText); } catch (e) { data = {}; }
        if (xhr.status === 200 && data.url) { window.location = data.url; return; }
        bar.hidden = true; text.textContent = data.detail || ("上传失败（" + xhr.status + "），请重试。");
      };
      xhr.onerror = function () { bar.hidden = true; text.textContent = "网络错误，上传未完成，请重试。"; };
      xhr.send(new FormData(form));
    });
  });
})();
