import { createRequire as __kubeplanCreateRequire } from 'node:module'; const require = __kubeplanCreateRequire(import.meta.url);
import {
  require_undici
} from "./chunk-HEYGFD4T.js";
import {
  __toESM
} from "./chunk-67KDASP7.js";

// node_modules/@kubernetes/client-node/dist/gen/http/http.js
import { URL } from "url";

// node_modules/@kubernetes/client-node/dist/gen/rxjsStub.js
var Observable = class _Observable {
  constructor(promise) {
    this.promise = promise;
  }
  toPromise() {
    return this.promise;
  }
  pipe(callback) {
    return new _Observable(this.promise.then(callback));
  }
};
function from(promise) {
  return new Observable(promise);
}
function of(value) {
  return new Observable(Promise.resolve(value));
}

// node_modules/@kubernetes/client-node/dist/gen/http/isomorphic-fetch.js
var import_undici = __toESM(require_undici(), 1);
var IsomorphicFetchHttpLibrary = class {
  send(request) {
    let method = request.getHttpMethod().toString();
    let body = request.getBody();
    const resultPromise = (0, import_undici.fetch)(request.getUrl(), {
      method,
      body,
      headers: request.getHeaders(),
      signal: request.getSignal(),
      dispatcher: request.getDispatcher()
    }).then((resp) => {
      const headers = {};
      resp.headers.forEach((value, name) => {
        headers[name] = value;
      });
      const body2 = {
        text: () => resp.text(),
        binary: () => resp.buffer(),
        stream: () => resp.body
      };
      return new ResponseContext(resp.status, headers, body2);
    });
    return from(resultPromise);
  }
};

// node_modules/@kubernetes/client-node/dist/gen/http/http.js
var HttpMethod = {
  GET: "GET",
  HEAD: "HEAD",
  POST: "POST",
  PUT: "PUT",
  DELETE: "DELETE",
  CONNECT: "CONNECT",
  OPTIONS: "OPTIONS",
  TRACE: "TRACE",
  PATCH: "PATCH"
};
var HttpException = class extends Error {
  constructor(msg) {
    super(msg);
  }
};
function ensureAbsoluteUrl(url) {
  if (url.startsWith("http://") || url.startsWith("https://")) {
    return url;
  }
  throw new Error("You need to define an absolute base url for the server.");
}
var RequestContext = class {
  /**
   * Creates the request context using a http method and request resource url
   *
   * @param url url of the requested resource
   * @param httpMethod http method
   */
  constructor(url, httpMethod) {
    this.httpMethod = httpMethod;
    this.headers = {};
    this.body = void 0;
    this.signal = void 0;
    this.dispatcher = void 0;
    this.url = new URL(ensureAbsoluteUrl(url));
  }
  /*
   * Returns the url set in the constructor including the query string
   *
   */
  getUrl() {
    return this.url.toString().endsWith("/") ? this.url.toString().slice(0, -1) : this.url.toString();
  }
  /**
   * Replaces the url set in the constructor with this url.
   *
   */
  setUrl(url) {
    this.url = new URL(ensureAbsoluteUrl(url));
  }
  /**
   * Sets the body of the http request either as a string or FormData
   *
   * Note that setting a body on a HTTP GET, HEAD, DELETE, CONNECT or TRACE
   * request is discouraged.
   * https://httpwg.org/http-core/draft-ietf-httpbis-semantics-latest.html#rfc.section.7.3.1
   *
   * @param body the body of the request
   */
  setBody(body) {
    this.body = body;
  }
  getHttpMethod() {
    return this.httpMethod;
  }
  getHeaders() {
    return this.headers;
  }
  getBody() {
    return this.body;
  }
  setQueryParam(name, value) {
    this.url.searchParams.set(name, value);
  }
  appendQueryParam(name, value) {
    this.url.searchParams.append(name, value);
  }
  /**
   * Sets a cookie with the name and value. NO check  for duplicate cookies is performed
   *
   */
  addCookie(name, value) {
    if (!this.headers["Cookie"]) {
      this.headers["Cookie"] = "";
    }
    this.headers["Cookie"] += name + "=" + value + "; ";
  }
  setHeaderParam(key, value) {
    const lowerKey = key.toLowerCase();
    for (const existingKey in this.headers) {
      if (existingKey.toLowerCase() === lowerKey) {
        delete this.headers[existingKey];
      }
    }
    this.headers[key] = value;
  }
  setSignal(signal) {
    this.signal = signal;
  }
  getSignal() {
    return this.signal;
  }
  setDispatcher(dispatcher) {
    this.dispatcher = dispatcher;
  }
  getDispatcher() {
    return this.dispatcher;
  }
};
var SelfDecodingBody = class {
  constructor(dataSource) {
    this.dataSource = dataSource;
  }
  binary() {
    return this.dataSource;
  }
  async text() {
    const data = await this.dataSource;
    return data.toString();
  }
  stream() {
    return null;
  }
};
var ResponseContext = class {
  constructor(httpStatusCode, headers, body) {
    this.httpStatusCode = httpStatusCode;
    this.headers = headers;
    this.body = body;
  }
  /**
   * Parse header value in the form `value; param1="value1"`
   *
   * E.g. for Content-Type or Content-Disposition
   * Parameter names are converted to lower case
   * The first parameter is returned with the key `""`
   */
  getParsedHeader(headerName) {
    const result = {};
    if (!this.headers[headerName]) {
      return result;
    }
    const parameters = this.headers[headerName].split(";");
    for (const parameter of parameters) {
      let [key, value] = parameter.split("=", 2);
      if (!key) {
        continue;
      }
      key = key.toLowerCase().trim();
      if (value === void 0) {
        result[""] = key;
      } else {
        value = value.trim();
        if (value.startsWith('"') && value.endsWith('"')) {
          value = value.substring(1, value.length - 1);
        }
        result[key] = value;
      }
    }
    return result;
  }
  async getBodyAsFile() {
    const data = await this.body.binary();
    const fileName = this.getParsedHeader("content-disposition")["filename"] || "";
    return { data, name: fileName };
  }
  /**
   * Use a heuristic to get a body of unknown data structure.
   * Return as string if possible, otherwise as binary.
   */
  getBodyAsAny() {
    try {
      return this.body.text();
    } catch {
    }
    try {
      return this.body.binary();
    } catch {
    }
    return Promise.resolve(void 0);
  }
};
function wrapHttpLibrary(promiseHttpLibrary) {
  return {
    send(request) {
      return from(promiseHttpLibrary.send(request));
    }
  };
}
var HttpInfo = class extends ResponseContext {
  constructor(httpStatusCode, headers, body, data) {
    super(httpStatusCode, headers, body);
    this.data = data;
  }
};

export {
  from,
  of,
  IsomorphicFetchHttpLibrary,
  HttpMethod,
  HttpException,
  RequestContext,
  SelfDecodingBody,
  ResponseContext,
  wrapHttpLibrary,
  HttpInfo
};
