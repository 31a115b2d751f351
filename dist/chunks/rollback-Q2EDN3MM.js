import { createRequire as __kubeplanCreateRequire } from 'node:module'; const require = __kubeplanCreateRequire(import.meta.url);
import {
  rollbackCommand
} from "./chunk-4OMGPE3F.js";
import "./chunk-L333WWOV.js";
import "./chunk-FC6XUUJ6.js";
import "./chunk-TZ2ZTMWF.js";
import "./chunk-TYIG3YVF.js";
import "./chunk-Z65K4BBT.js";
import "./chunk-4PR4VSOE.js";
import "./chunk-SGIW2ZLB.js";
import "./chunk-67KDASP7.js";
export {
  rollbackCommand
};
