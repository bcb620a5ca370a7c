/** The folder holding package.json: bundled configuration (fmea-rules/, config/, schemas/, DBCs) is found relative to it. */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
