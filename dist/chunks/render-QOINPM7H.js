import { createRequire as __kubeplanCreateRequire } from 'node:module'; const require = __kubeplanCreateRequire(import.meta.url);
import {
  renderCommand
} from "./chunk-IBRKGHRC.js";
import "./chunk-PR2G2M7M.js";
import "./chunk-TZ2ZTMWF.js";
import "./chunk-XJF5CGWH.js";
import "./chunk-DR2PG2AQ.js";
import "./chunk-4PR4VSOE.js";
import "./chunk-SGIW2ZLB.js";
import "./chunk-67KDASP7.js";
export {
  renderCommand
};
