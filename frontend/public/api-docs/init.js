/* global SwaggerUIBundle */
// Starts Swagger UI on /api/docs. A file, not an inline script: the page's Content-Security-Policy
// runs no inline code. swagger-ui-bundle.js (copied from the npm package by vite.config.ts) loads first.
SwaggerUIBundle({ url: "/api/openapi.json", dom_id: "#swagger-ui", deepLinking: true });
