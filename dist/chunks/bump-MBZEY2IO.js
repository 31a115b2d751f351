import { createRequire as __kubeplanCreateRequire } from 'node:module'; const require = __kubeplanCreateRequire(import.meta.url);
import {
  githubBumpPublisher,
  runBump
} from "./chunk-F5C44NQ4.js";
import "./chunk-JITSQ7NI.js";
import "./chunk-SGIW2ZLB.js";
import "./chunk-67KDASP7.js";
export {
  githubBumpPublisher,
  runBump
};
