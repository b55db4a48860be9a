// Builds the PtychoPINN inference probe page on its own, with the app's public/ for the bundled scan.
import { resolve } from 'node:path';

const root = import.meta.dirname;

export default {
  root,
  publicDir: resolve(root, '../../public'),
  worker: { format: 'es' },
  build: { target: 'es2022', emptyOutDir: true, chunkSizeWarningLimit: 8000 },
};
