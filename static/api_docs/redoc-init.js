"use strict";
// Starts Redoc (templates/api_docs/redoc.html) without an inline script: the site's CSP
// allows scripts from this server only.
(function () {
  // Redoc's <style> elements carry the nonce this script tag was given (the page's
  // style-src allows it).
  const nonce = document.currentScript ? document.currentScript.nonce : undefined;

  // Images come from this server only: Redoc's sidebar would fetch the Redocly logo from
  // its CDN (and a description could name a remote image). React sets an image's address
  // both as the attribute and as the property; a remote one is dropped, so the browser
  // requests nothing.
  const isRemote = function (value) {
    const url = new URL(String(value), document.baseURI);
    return url.protocol !== "data:" && url.origin !== window.location.origin;
  };
  const setAttribute = Element.prototype.setAttribute;
  Element.prototype.setAttribute = function (name, value) {
    if (this instanceof HTMLImageElement && String(name).toLowerCase() === "src" && isRemote(value)) {
      return undefined;
    }
    return setAttribute.call(this, name, value);
  };
  const src = Object.getOwnPropertyDescriptor(HTMLImageElement.prototype, "src");
  Object.defineProperty(HTMLImageElement.prototype, "src", {
    configurable: true,
    enumerable: src.enumerable,
    get: src.get,
    set: function (value) {
      if (!isRemote(value)) {
        src.set.call(this, value);
      }
    },
  });

  const container = document.getElementById("redoc-container");
  const settings = JSON.parse(container.dataset.settings || "{}");
  if (nonce) {
    settings.nonce = nonce;
  }
  Redoc.init(container.dataset.schemaUrl, settings, container);
})();
