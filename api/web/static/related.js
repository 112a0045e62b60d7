// A technique's page shows at once; its related techniques (seconds for one named in thousands of papers) are
// fetched after it, as server-rendered HTML, into the section that waits for them.
(function () {
  "use strict";
  var box = document.getElementById("related");
  if (!box || !box.dataset.src) { return; }
  fetch(box.dataset.src, {headers: {Accept: "text/html"}, credentials: "same-origin"}).then(function (response) {
    if (!response.ok) { throw new Error("HTTP " + response.status); }
    return response.text();
  }).then(function (html) {
    var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("related");
    if (!fresh) { throw new Error("no related section"); }
    box.replaceWith(document.importNode(fresh, true));
  }).catch(function () {
    box.removeAttribute("aria-busy");
    var note = box.querySelector("p");
    if (note) { note.lastChild.textContent = " (could not be loaded; follow the link)"; }
  });
})();
