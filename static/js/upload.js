// The contribution page's upload form: drag and drop, upload progress (bytes sent), then the
// check's progress (a background UploadJob is polled), then the page reloads with the result.
// Without this script the form is a plain file input and submit button.
(function () {
  "use strict";

  function setup(form) {
    var input = form.querySelector("[data-upload-input]") || form.querySelector("input[type=file]");
    var zone = form.querySelector("[data-dropzone]");
    var box = form.querySelector("[data-upload-progress]");
    var stage = form.querySelector("[data-upload-stage]");
    var bar = form.querySelector("[data-upload-bar]");
    var errors = form.querySelector("[data-upload-errors]");
    var button = form.querySelector("button[type=submit]");
    if (!input || !window.FormData || !window.XMLHttpRequest) return;

    function show(text, percent) {
      box.classList.remove("d-none");
      stage.textContent = text;
      if (percent === null) {
        bar.removeAttribute("value"); // an indeterminate bar while the server checks
      } else {
        bar.value = Math.max(0, Math.min(100, percent));
      }
    }

    function fail(messages) {
      box.classList.add("d-none");
      errors.textContent = "";
      messages.forEach(function (message) {
        var line = document.createElement("div");
        line.textContent = message;
        errors.appendChild(line);
      });
      errors.classList.remove("d-none");
      button.disabled = false;
    }

    function megabytes(bytes) {
      return (bytes / 1048576).toFixed(1) + " MB";
    }

    function poll(job) {
      show(job.stage_label + " (" + job.progress + "%)", job.progress);
      if (job.finished) {
        window.location.assign(job.redirect);
        return;
      }
      window.setTimeout(function () {
        fetch(job.status_url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
          .then(function (response) {
            if (!response.ok) throw new Error(response.status);
            return response.json();
          })
          .then(poll)
          .catch(function () { fail([form.dataset.textFailed]); });
      }, 1000);
    }

    function send() {
      if (!input.files || !input.files.length) return;
      errors.classList.add("d-none");
      button.disabled = true;
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.action);
      xhr.setRequestHeader("Accept", "application/json");
      xhr.upload.addEventListener("progress", function (event) {
        if (!event.lengthComputable) return;
        show(form.dataset.textSending + " " + megabytes(event.loaded) + " / " + megabytes(event.total),
          (100 * event.loaded) / event.total);
      });
      xhr.upload.addEventListener("load", function () {
        show(form.dataset.textChecking, null);
      });
      xhr.addEventListener("load", function () {
        var data;
        try {
          data = JSON.parse(xhr.responseText);
        } catch (e) {
          fail([form.dataset.textFailed]);
          return;
        }
        if (data.errors) {
          fail(data.errors);
        } else if (data.status_url) {
          poll(data);
        } else if (data.redirect) {
          window.location.assign(data.redirect);
        }
      });
      xhr.addEventListener("error", function () { fail([form.dataset.textFailed]); });
      show(form.dataset.textSending, 0);
      xhr.send(new FormData(form));
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      send();
    });

    if (!zone) return;
    ["dragenter", "dragover"].forEach(function (name) {
      zone.addEventListener(name, function (event) {
        event.preventDefault();
        zone.classList.add("is-dragover");
      });
    });
    ["dragleave", "dragend"].forEach(function (name) {
      zone.addEventListener(name, function () { zone.classList.remove("is-dragover"); });
    });
    zone.addEventListener("drop", function (event) {
      event.preventDefault();
      zone.classList.remove("is-dragover");
      if (!event.dataTransfer || !event.dataTransfer.files.length) return;
      input.files = event.dataTransfer.files;
      send(); // dropping a file is the request to upload it
    });
  }

  function start() {
    document.querySelectorAll("form[data-upload-form]").forEach(setup);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
