/** Registers the physics kernels for the TensorFlow.js 'webgl' backend. */
export function registerWebGlKernels(): void {
  // Filled in by the webgl kernel work.
}
