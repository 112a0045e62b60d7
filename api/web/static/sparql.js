// The SPARQL editor: CodeMirror (SPARQL mode) over the form's textarea; Ctrl/Cmd+Enter runs the query. Tab is left
// to the browser so the keyboard can leave the editor. Without JavaScript the plain textarea works the same.
(function () {
  "use strict";
  var area = document.getElementById("query");
  var form = document.getElementById("sparql-form");
  if (!area || !form || typeof window.CodeMirror !== "function") { return; }
  function run() { editor.save(); form.submit(); }
  var editor = window.CodeMirror.fromTextArea(area, {
    mode: "sparql", lineNumbers: true, indentUnit: 2, viewportMargin: Infinity,
    extraKeys: {"Ctrl-Enter": run, "Cmd-Enter": run, "Tab": false, "Shift-Tab": false},
    screenReaderLabel: "SPARQL query"
  });
  form.setAttribute("data-editor", "codemirror");
  window.paperkgEditor = editor;
})();
