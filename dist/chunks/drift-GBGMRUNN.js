import { createRequire as __kubeplanCreateRequire } from 'node:module'; const require = __kubeplanCreateRequire(import.meta.url);
import {
  describeDrift,
  driftCommand,
  formatDriftMarkdown,
  formatOpenMetrics
} from "./chunk-OS2D745M.js";
import "./chunk-TLE5QVZY.js";
import "./chunk-KKKP6CVM.js";
import "./chunk-J5LJPIFJ.js";
import "./chunk-TZ2ZTMWF.js";
import "./chunk-TYIG3YVF.js";
import "./chunk-7LT3ICTO.js";
import "./chunk-EHOOPVY2.js";
import "./chunk-4PR4VSOE.js";
import "./chunk-SGIW2ZLB.js";
import "./chunk-67KDASP7.js";
export {
  describeDrift,
  driftCommand,
  formatDriftMarkdown,
  formatOpenMetrics
};
