import { createRequire as __kubeplanCreateRequire } from 'node:module'; const require = __kubeplanCreateRequire(import.meta.url);
import {
  require_undici
} from "./chunk-HEYGFD4T.js";
import "./chunk-67KDASP7.js";
export default require_undici();
