/* Embedded view (?embed=1, /embed/<page>): the shell hides its navbar and filter bar
 * (app/shell.py); here the page is made to fit its frame and every link opens the full app
 * (without embed) in a new tab, so a click never navigates the host site's iframe away.
 */
(function () {
  function embedded() {
    var v = new URLSearchParams(window.location.search).get("embed");
    return v === "1" || v === "true";
  }
  if (!embedded()) { return; }
  document.documentElement.classList.add("embedded");

  function fullAppUrl(href) {
    var url = new URL(href, window.location.href);
    url.searchParams.delete("embed");
    return url.toString();
  }
  function mark(root) {
    var links = (root.querySelectorAll ? root.querySelectorAll("a[href]") : []);
    for (var i = 0; i < links.length; i++) {
      if (links[i].target !== "_blank") { links[i].target = "_blank"; }
      if (links[i].rel !== "noopener") { links[i].rel = "noopener"; }
    }
  }
  // Capture phase on document: runs before React's own handlers (dcc.Link's in-app navigation).
  document.addEventListener("click", function (e) {
    var a = e.target && e.target.closest ? e.target.closest("a[href]") : null;
    if (!a || !embedded()) { return; }
    e.preventDefault();
    e.stopPropagation();
    window.open(fullAppUrl(a.href), "_blank", "noopener");
  }, true);
  new MutationObserver(function () { mark(document); })
    .observe(document.documentElement, {childList: true, subtree: true});
  document.addEventListener("DOMContentLoaded", function () { mark(document); });
})();
