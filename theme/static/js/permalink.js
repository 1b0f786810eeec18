// A post's permalink page (threads/<key>/posts/<id>.html) is shared by every post of one
// thread page, under each post's name (permalink.html): the name says which post to show.
(function () {
  "use strict";
  var page = document.querySelector('link[rel="canonical"]');
  var name = decodeURIComponent(window.location.pathname.split("/").pop() || "");
  var id = name.replace(/\.html$/, "");
  if (page && /^[A-Za-z0-9_-]{1,64}$/.test(id)) {
    window.location.replace(page.getAttribute("href") + "#post-" + id);
  }
})();
