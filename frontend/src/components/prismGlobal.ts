/**
 * Prism's extra language files (prismjs/components/*) register themselves on a global `Prism`;
 * this makes prism-react-renderer's instance that global, before `prismLanguages` loads them.
 */
import { Prism } from "prism-react-renderer";

(globalThis as { Prism?: typeof Prism }).Prism = Prism;
