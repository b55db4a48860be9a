/** Registers the physics kernels for the TensorFlow.js 'webgpu' backend. */
export function registerWebGpuKernels(): void {
  // Filled in by the webgpu kernel work.
}
