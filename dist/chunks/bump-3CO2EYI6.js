import { createRequire as __kubeplanCreateRequire } from 'node:module'; const require = __kubeplanCreateRequire(import.meta.url);
import {
  githubBumpPublisher,
  runBump
} from "./chunk-BQGPGRPT.js";
import "./chunk-PUOHBCCK.js";
import "./chunk-TYIG3YVF.js";
import "./chunk-XJF5CGWH.js";
import "./chunk-DR2PG2AQ.js";
import "./chunk-4PR4VSOE.js";
import "./chunk-SGIW2ZLB.js";
import "./chunk-67KDASP7.js";
export {
  githubBumpPublisher,
  runBump
};
