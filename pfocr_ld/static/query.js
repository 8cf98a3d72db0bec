// Progressive enhancement of the SPARQL query page. Without this script the page works as plain
// forms: "Load example" reloads the page with the example in the editor, "Run query" reloads it
// with the results table rendered by the server. With it, choosing an example fills the editor at
// once, Ctrl/Cmd+Enter runs the query, and results replace the results section in place (fetched
// as the same server-rendered HTML, so there is one table renderer, on the server).
"use strict";
(function () {
  const form = document.getElementById("query-form");
  const editor = document.getElementById("query");
  const picker = document.getElementById("example");
  const description = document.getElementById("example-description");
  const status = document.getElementById("query-status");
  const dataElement = document.getElementById("examples-data");
  if (!form || !editor) return;
  let examples = {};
  try {
    examples = JSON.parse(dataElement ? dataElement.textContent : "{}");
  } catch (error) {
    examples = {};
  }

  if (picker) {
    const loadButton = document.getElementById("load-example");
    if (loadButton) loadButton.hidden = true;  // choosing is enough now
    picker.addEventListener("change", function () {
      const example = examples[picker.value];
      if (!example) return;
      editor.value = example.text;
      if (description) description.textContent = example.description || "";
      const url = new URL(window.location.href);
      url.search = new URLSearchParams({ example: picker.value }).toString();
      window.history.replaceState(null, "", url);
    });
  }

  editor.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      form.requestSubmit();
    }
  });

  form.addEventListener("submit", async function (event) {
    const format = form.elements["format"] ? form.elements["format"].value : "";
    if (format) return;  // a download format: let the browser navigate to it
    event.preventDefault();
    const params = new URLSearchParams({ query: editor.value });
    const url = form.action + "?" + params.toString();
    if (status) status.textContent = "Running…";
    const started = performance.now();
    try {
      const response = await fetch(url, { headers: { Accept: "text/html" } });
      const page = new DOMParser().parseFromString(await response.text(), "text/html");
      const fresh = page.getElementById("results");
      const current = document.getElementById("results");
      if (!fresh || !current) throw new Error("no results section in the answer");
      current.replaceWith(document.importNode(fresh, true));
      window.history.pushState(null, "", url);
      if (status) {
        const seconds = ((performance.now() - started) / 1000).toFixed(2);
        status.textContent = response.ok ? "Done in " + seconds + " s." : "The query failed.";
      }
    } catch (error) {
      // Anything unexpected: fall back to the plain form submission.
      if (status) status.textContent = "";
      form.submit();
    }
  });

  window.addEventListener("popstate", function () { window.location.reload(); });
})();
