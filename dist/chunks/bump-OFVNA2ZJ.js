import { createRequire as __kubeplanCreateRequire } from 'node:module'; const require = __kubeplanCreateRequire(import.meta.url);
import {
  githubBumpPublisher,
  runBump
} from "./chunk-DE53TVI6.js";
import "./chunk-763EXLYV.js";
import "./chunk-GY6BXHYW.js";
import "./chunk-67KDASP7.js";
export {
  githubBumpPublisher,
  runBump
};
