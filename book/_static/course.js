// The course's one addition to the theme's scripts.
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
