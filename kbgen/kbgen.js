// Copy buttons on articles: plain text an agent pastes into a reply. No tracking, no network.
(function () {
  // Opened straight from disk, the browser refuses to load search: say how to get it instead of showing a dead button.
  if (window.location.protocol === "file:") {
    document.querySelectorAll(".kb-search-button").forEach(function (button) {
      var note = document.createElement("p");
      note.className = "kb-search-offline";
      note.setAttribute("role", "note");
      note.innerHTML = "Search needs the site to be served: run <code>kbgen serve</code>, or any web server in the site " +
        "folder (for example <code>python3 -m http.server -d site</code>) and open the address it prints.";
      button.replaceWith(note);
    });
  }

  function pageUrl(button) {
    return button.getAttribute("data-kb-url") || window.location.href.split("#")[0].split("?")[0];
  }
  function copy(text, button) {
    var status = button.parentNode.querySelector(".kb-copied");
    var done = function () { if (status) { status.textContent = "Copied: " + button.textContent.replace(/^Copy /, ""); } };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, function () { fallback(text); done(); });
    } else { fallback(text); done(); }
  }
  function fallback(text) {
    var area = document.createElement("textarea");
    area.value = text; area.setAttribute("readonly", ""); area.style.position = "fixed"; area.style.opacity = "0";
    document.body.appendChild(area); area.select();
    try { document.execCommand("copy"); } catch (e) { /* nothing more to try */ }
    document.body.removeChild(area);
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-kb-copy]");
    if (!button) { return; }
    var url = pageUrl(button);
    var kind = button.getAttribute("data-kb-copy");
    copy(kind === "reply" ? button.getAttribute("data-kb-text") + "\n\n" + url : url, button);
  });
})();
