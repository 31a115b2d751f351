import { createRequire as __kubeplanCreateRequire } from 'node:module'; const require = __kubeplanCreateRequire(import.meta.url);
import {
  HttpException,
  HttpInfo,
  HttpMethod,
  IsomorphicFetchHttpLibrary,
  RequestContext,
  ResponseContext,
  SelfDecodingBody,
  wrapHttpLibrary
} from "./chunk-5VXQAK5A.js";
import "./chunk-HEYGFD4T.js";
import "./chunk-67KDASP7.js";
export {
  HttpException,
  HttpInfo,
  HttpMethod,
  IsomorphicFetchHttpLibrary,
  RequestContext,
  ResponseContext,
  SelfDecodingBody,
  wrapHttpLibrary
};
