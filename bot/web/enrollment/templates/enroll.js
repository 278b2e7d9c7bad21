/* credbot enrollment page. Reads the link secret from the URL fragment (never sent to a
   server), removes it from the address bar, and enhances the forms. Uses no HTML sinks:
   Trusted Types are enforced with no policy, so only textContent and hidden are used. */
(function () {
  "use strict";
  var main = document.getElementById("main");
  var texts = main.dataset;

  function showText(element, text) {
    element.textContent = text;
    element.hidden = false;
  }

  function postJson(url, body) {
    return fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", "Accept": "application/json" },
      body: JSON.stringify(body),
      credentials: "omit",
      cache: "no-store",
      referrerPolicy: "no-referrer"
    }).then(function (response) {
      return response.json().then(function (data) {
        return { ok: response.ok, data: data };
      });
    });
  }

  /* 1. The secret: from the fragment into the forms, then out of the address bar. */
  var secretInputs = document.querySelectorAll("input[name=secret]");
  var fragment = window.location.hash.slice(1);
  if (fragment) {
    window.history.replaceState(null, "", window.location.pathname + window.location.search);
  }
  if (main.dataset.page === "start" && secretInputs.length && !secretInputs[0].value) {
    var revealForm = document.getElementById("reveal-form");
    var linkProblem = document.getElementById("link-problem");
    var deadLink = function (title, message) {
      revealForm.hidden = true;
      document.getElementById("intro").hidden = true;
      document.getElementById("title").textContent = title;
      document.title = title + " \u00b7 credbot";
      showText(linkProblem, message);
    };
    if (!fragment) {
      deadLink(texts.textIncompleteTitle, texts.textIncomplete);
    } else {
      secretInputs.forEach(function (input) { input.value = fragment; });
      postJson("/enroll/status", { secret: fragment }).then(function (answer) {
        if (answer.ok && answer.data.status === "revealed") {
          revealForm.hidden = true;
          document.getElementById("resume").hidden = false;
        } else if (!answer.ok && !answer.data.retry) {
          deadLink(answer.data.title, answer.data.message);
        }
      }).catch(function () { /* the server checks again when the form is sent */ });
    }
  }

  /* 2. Copy buttons (shown only when this script runs). */
  var copyStatus = document.getElementById("copy-status");
  function copied(ok, element) {
    if (!ok) {
      window.getSelection().selectAllChildren(element);
    }
    if (copyStatus) {
      copyStatus.textContent = ok ? texts.textCopied : texts.textCopyFailed;
    }
  }
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    var element = document.getElementById(button.dataset.copy);
    button.hidden = false;
    button.addEventListener("click", function () {
      var value = element.textContent.replace(/\s+/g, "");
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(value).then(
          function () { copied(true, element); },
          function () { copied(false, element); }
        );
      } else {
        copied(false, element);
      }
    });
  });

  /* 3. The first-login form: sent with fetch, so a mistyped code keeps the QR code on screen.
     The proof token the reveal handed back is kept in this browser (localStorage), so the
     step can be finished here after a reload, and only here. */
  var PROOF_KEY = "credbot-enrolment-proof";
  document.querySelectorAll("input[data-proof]").forEach(function (proof) {
    try {
      if (proof.value) {
        window.localStorage.setItem(PROOF_KEY, proof.value);
      } else {
        proof.value = window.localStorage.getItem(PROOF_KEY) || "";
      }
    } catch (ignored) { /* storage off: the step works until the page is closed */ }
  });
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    var input = form.elements.namedItem("code");
    var button = form.querySelector("button[type=submit]");
    var error = document.getElementById(form.id + "-error");
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      button.disabled = true;
      postJson(form.getAttribute("action"), {
        secret: form.elements.namedItem("secret").value,
        proof: form.elements.namedItem("proof").value,
        password: form.elements.namedItem("password").value,
        code: input.value
      }).then(function (answer) {
        if (answer.ok) {
          try { window.localStorage.removeItem(PROOF_KEY); } catch (ignored) { /* nothing */ }
          var heading = document.createElement("h1");
          heading.className = "done";
          heading.tabIndex = -1;
          heading.textContent = answer.data.title;
          var message = document.createElement("p");
          message.textContent = answer.data.message;
          main.replaceChildren(heading, message);
          document.title = answer.data.title + " · credbot";
          heading.focus();
          return;
        }
        showText(error, answer.data.message);
        input.setAttribute("aria-invalid", "true");
        if (answer.data.retry) {
          button.disabled = false;
          input.value = "";
          input.focus();
        } else {
          input.disabled = true;
        }
      }).catch(function () {
        showText(error, texts.textNetwork);
        button.disabled = false;
      });
    });
  });

  /* 4. The reveal form: one click sends it once. */
  var reveal = document.getElementById("reveal-form");
  if (reveal) {
    reveal.addEventListener("submit", function () {
      reveal.querySelector("button[type=submit]").disabled = true;
    });
  }
})();
