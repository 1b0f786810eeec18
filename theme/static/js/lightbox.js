/* A post's attachments as a keyboard-driven image viewer.
 *
 * Without JavaScript every thumbnail is a plain link to its image, and that stays the
 * markup: this script only listens. Enter (or a click) on a thumbnail opens a <dialog>
 * with the full image; Escape closes it (the dialog's own behaviour), the arrow keys and
 * the buttons move through the post's images, and focus returns to the thumbnail.
 * The labels come translated from the section's data-label-* attributes.
 * No inline script or style: the page's Content-Security-Policy forbids both.
 */
(function () {
  "use strict";

  var dialog = null;
  var picture = null;
  var caption = null;
  var links = [];
  var index = 0;
  var opener = null;

  function button(name, label, text) {
    var element = document.createElement("button");
    element.type = "button";
    element.className = "lightbox-" + name;
    element.setAttribute("aria-label", label);
    element.textContent = text;
    return element;
  }

  function build(section) {
    dialog = document.createElement("dialog");
    dialog.className = "lightbox";
    dialog.setAttribute("aria-label", section.dataset.labelDialog || "");
    var figure = document.createElement("figure");
    picture = document.createElement("img");
    picture.className = "lightbox-image";
    caption = document.createElement("figcaption");
    caption.className = "lightbox-caption";
    caption.setAttribute("dir", "auto");
    figure.appendChild(picture);
    figure.appendChild(caption);
    var close = button("close", section.dataset.labelClose || "Close", "\u00d7");
    var previous = button("previous", section.dataset.labelPrevious || "Previous", "\u2039");
    var next = button("next", section.dataset.labelNext || "Next", "\u203a");
    close.addEventListener("click", function () { dialog.close(); });
    previous.addEventListener("click", function () { show(index - 1); });
    next.addEventListener("click", function () { show(index + 1); });
    dialog.appendChild(figure);
    dialog.appendChild(previous);
    dialog.appendChild(next);
    dialog.appendChild(close);
    dialog.addEventListener("keydown", function (event) {
      // In a right-to-left page the "next" image sits to the left.
      var rtl = getComputedStyle(dialog).direction === "rtl";
      if (event.key === "ArrowRight") { show(index + (rtl ? -1 : 1)); event.preventDefault(); }
      if (event.key === "ArrowLeft") { show(index + (rtl ? 1 : -1)); event.preventDefault(); }
    });
    dialog.addEventListener("click", function (event) {
      if (event.target === dialog) { dialog.close(); }  // a click on the backdrop
    });
    dialog.addEventListener("close", function () {
      if (opener) { opener.focus(); }
    });
    document.body.appendChild(dialog);
  }

  function show(position) {
    index = (position + links.length) % links.length;
    var link = links[index];
    var thumbnail = link.querySelector("img");
    picture.src = link.getAttribute("href");
    picture.alt = thumbnail ? thumbnail.alt : "";
    caption.textContent = (link.title || picture.alt) + " (" + (index + 1) + "/" + links.length + ")";
    dialog.dataset.index = String(index);
  }

  function open(section, link) {
    if (!dialog) { build(section); }
    links = Array.prototype.slice.call(section.querySelectorAll("a.lightbox-link"));
    opener = link;
    show(links.indexOf(link));
    if (!dialog.open) { dialog.showModal(); }
    dialog.querySelector(".lightbox-close").focus();
  }

  document.addEventListener("click", function (event) {
    if (event.defaultPrevented || event.button !== 0 || event.ctrlKey || event.metaKey ||
        event.shiftKey || event.altKey) {
      return;  // a new tab or window is the reader's call
    }
    var link = event.target.closest && event.target.closest("a.lightbox-link");
    var section = link && link.closest("[data-lightbox]");
    if (!section || typeof HTMLDialogElement === "undefined") { return; }
    event.preventDefault();
    open(section, link);
  });
})();
