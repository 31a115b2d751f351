import { createRequire as __kubeplanCreateRequire } from 'node:module'; const require = __kubeplanCreateRequire(import.meta.url);
import {
  githubBumpPublisher,
  runBump
} from "./chunk-4GGGCJFX.js";
import "./chunk-Q2KPVAWC.js";
import "./chunk-SGIW2ZLB.js";
import "./chunk-67KDASP7.js";
export {
  githubBumpPublisher,
  runBump
};
