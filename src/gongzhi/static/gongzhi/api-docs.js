// Starts the vendored Swagger UI on /api/v1/docs (see gongzhi/api/docs.py): settings from the page,
// the session's CSRF token on requests made with "Try it out".
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("swagger-settings").textContent);
  var csrf = document.body.dataset.csrfToken;
  config.dom_id = "#swagger-ui";
  config.presets = [SwaggerUIBundle.presets.apis];
  if (csrf) {
    config.requestInterceptor = function (req) {
      req.headers["X-CSRFToken"] = csrf;
      return req;
    };
  }
  window.ui = SwaggerUIBundle(config);
})();
