import { createRequire as __kubeplanCreateRequire } from 'node:module'; const require = __kubeplanCreateRequire(import.meta.url);
import {
  githubBumpPublisher,
  runBump
} from "./chunk-2D5JPWQT.js";
import "./chunk-ETM4ZQHI.js";
import "./chunk-GY6BXHYW.js";
import "./chunk-67KDASP7.js";
export {
  githubBumpPublisher,
  runBump
};
