// The course's additions to the theme's scripts.
//
// On a phone-sized screen the navigation opens from the header's "Toggle primary sidebar" button. The
// themes (pydata-sphinx-theme 0.17, sphinx-book-theme 1.3) bind that action to the first element of class
// primary-toggle only, which sphinx-book-theme hides; the button a reader sees is the second one. A click on
// any other primary-toggle is passed on to the first, so the visible button opens the navigation.
document.addEventListener("DOMContentLoaded", function () {
  var toggles = document.querySelectorAll(".primary-toggle");
  for (var i = 1; i < toggles.length; i++) {
    toggles[i].addEventListener("click", function (event) {
      event.preventDefault();
      toggles[0].click();
    });
  }
});

// Display math wider than the column scrolls inside its box. Such a box takes the keyboard's focus, so that a
// reader without a mouse can scroll it (axe: scrollable-region-focusable). MathJax's menu component made all
// math focusable; the book loads MathJax without it (book/_ext/book_mathjax.py).
function focusWideMath() {
  document.querySelectorAll('mjx-container[display="true"]').forEach(function (box) {
    if (box.scrollWidth > box.clientWidth + 1) box.tabIndex = 0;
    else box.removeAttribute("tabindex");
  });
}
window.addEventListener("load", function () {
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) MathJax.startup.promise.then(focusWideMath);
});
window.addEventListener("resize", focusWideMath);
