import { createRequire as __kubeplanCreateRequire } from 'node:module'; const require = __kubeplanCreateRequire(import.meta.url);
import {
  describeDrift,
  driftCommand,
  formatDriftMarkdown,
  formatOpenMetrics
} from "./chunk-DK67WL44.js";
import "./chunk-I4NTMRHS.js";
import "./chunk-ZMHOWF7G.js";
import "./chunk-PR2G2M7M.js";
import "./chunk-TZ2ZTMWF.js";
import "./chunk-TYIG3YVF.js";
import "./chunk-XJF5CGWH.js";
import "./chunk-DR2PG2AQ.js";
import "./chunk-4PR4VSOE.js";
import "./chunk-SGIW2ZLB.js";
import "./chunk-67KDASP7.js";
export {
  describeDrift,
  driftCommand,
  formatDriftMarkdown,
  formatOpenMetrics
};
