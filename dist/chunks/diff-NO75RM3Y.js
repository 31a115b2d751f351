import { createRequire as __kubeplanCreateRequire } from 'node:module'; const require = __kubeplanCreateRequire(import.meta.url);
import {
  diffCommand
} from "./chunk-6KMZQFPM.js";
import "./chunk-OFIMP4AG.js";
import "./chunk-FC6XUUJ6.js";
import "./chunk-PN44SHZJ.js";
import "./chunk-TZ2ZTMWF.js";
import "./chunk-TYIG3YVF.js";
import "./chunk-4NJ2LQN2.js";
import "./chunk-Z65K4BBT.js";
import "./chunk-4PR4VSOE.js";
import "./chunk-SGIW2ZLB.js";
import "./chunk-67KDASP7.js";
export {
  diffCommand
};
